/**
 * Load a drumscribe JSON chart (format "drumscribe-chart", version 1).
 *
 * Enforces all of bindings/chart.schema.json plus the rules it cannot express (see
 * bindings/README.md): strict JSON (UTF-8, no duplicate keys, depth <= 64), lane i is
 * `{index: i, name: LANE_NAMES[i]}`, tempo_map strictly increasing in time with each
 * segment's beat where the one before arrives (within 0.01 beat), beats and each
 * difficulty's hits non-decreasing in time.
 * No Node APIs here: usable in browsers and game engines that run JavaScript.
 */

import { decodeUtf8, JsonObject, JsonSyntaxError, JsonValue, parseJson } from "./json";

export const CHART_FORMAT = "drumscribe-chart";
export const CHART_VERSION = 1;
export const LANE_NAMES = [
  "kick", "snare", "hihat", "hi_tom", "mid_tom", "low_tom", "crash", "ride",
] as const;
export type LaneName = (typeof LANE_NAMES)[number];
export const DIFFICULTY_NAMES = ["expert", "hard", "medium", "easy"] as const;
export type DifficultyName = (typeof DIFFICULTY_NAMES)[number];

export interface Lane {
  index: number;
  name: LaneName;
  gmNote: number;
}
export interface TempoSegment {
  /** seconds where this tempo starts */
  time: number;
  bpm: number;
  /** beat position where this tempo starts */
  beat: number;
}
export interface Beat {
  time: number;
  downbeat: boolean;
}
export interface Hit {
  /** seconds from the start of the audio */
  time: number;
  /** lane index 0..7 (see LANE_NAMES) */
  lane: number;
  /** MIDI velocity 1..127 */
  velocity: number;
}
export interface Track {
  /** sorted by time (ties keep file order) */
  hits: Hit[];
}
export interface Chart {
  version: number;
  lanes: Lane[];
  durationS: number;
  tempoMap: TempoSegment[];
  beats: Beat[];
  difficulties: { expert: Track; hard?: Track; medium?: Track; easy?: Track };
}

/** parse | type | missing | unknown | value | version | range | count | order | io */
export type ChartErrorKind =
  | "parse" | "type" | "missing" | "unknown" | "value" | "version" | "range" | "count"
  | "order" | "io";

/** Why a chart was rejected. `message` is "<path>: <problem>". */
export class ChartError extends Error {
  readonly kind: ChartErrorKind;
  readonly path: string;
  constructor(kind: ChartErrorKind, path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = "ChartError";
    this.kind = kind;
    this.path = path;
  }
}

// ------------------------------------------------------------------ checks

const SECONDS_MAX = 86400;
const SHA256 = /^[0-9a-f]{64}$/;

function child(path: string, key: string): string {
  return path === "(root)" ? key : `${path}.${key}`;
}

function describe(v: JsonValue): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (v instanceof Map) return "an object";
  if (typeof v === "string") return "a string";
  if (typeof v === "boolean") return "a boolean";
  return `the number ${v}`;
}

function fmt(x: number): string {
  return String(x);
}

function asObject(v: JsonValue | undefined, path: string): JsonObject {
  if (!(v instanceof Map)) throw new ChartError("type", path, `expected an object, got ${describe(v ?? null)}`);
  return v;
}

function asArray(v: JsonValue | undefined, path: string): JsonValue[] {
  if (!Array.isArray(v)) throw new ChartError("type", path, `expected an array, got ${describe(v ?? null)}`);
  return v;
}

function onlyKeys(o: JsonObject, path: string, allowed: readonly string[]): void {
  for (const key of o.keys()) {
    if (!allowed.includes(key)) throw new ChartError("unknown", child(path, key), "unknown key");
  }
}

function required(o: JsonObject, path: string, key: string): JsonValue {
  const v = o.get(key);
  if (v === undefined) throw new ChartError("missing", child(path, key), "required key is missing");
  return v;
}

interface NumRange {
  min: number;
  max?: number;
  exclusiveMin?: boolean;
}

function num(v: JsonValue, path: string, r: NumRange): number {
  if (typeof v !== "number") throw new ChartError("type", path, `expected a number, got ${describe(v)}`);
  const low = r.exclusiveMin ? v <= r.min : v < r.min;
  if (low || (r.max !== undefined && v > r.max)) {
    const lo = r.exclusiveMin ? `(${fmt(r.min)}` : `[${fmt(r.min)}`;
    const hi = r.max === undefined ? "inf)" : `${fmt(r.max)}]`;
    throw new ChartError("range", path, `${fmt(v)} is out of range ${lo}, ${hi}`);
  }
  return v;
}

function int(v: JsonValue, path: string, min: number, max?: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || Math.floor(v) !== v) {
    throw new ChartError("type", path, `expected an integer, got ${describe(v)}`);
  }
  return num(v, path, { min, max });
}

function seconds(v: JsonValue, path: string): number {
  return num(v, path, { min: 0, max: SECONDS_MAX });
}

function stringOrNull(v: JsonValue, path: string): string | null {
  if (v !== null && typeof v !== "string") throw new ChartError("type", path, `expected a string or null, got ${describe(v)}`);
  return v;
}

function checkOrder(time: number, prev: number | undefined, path: string, strict: boolean): void {
  if (prev === undefined) return;
  if (time < prev || (strict && time === prev)) {
    const word = strict ? "not strictly increasing" : "not sorted";
    throw new ChartError("order", path, `${word} (${fmt(time)} after ${fmt(prev)})`);
  }
}

/** A segment's beat must be where the segment before it arrives at its time (within 0.01). */
export const TEMPO_BEAT_TOLERANCE = 0.01;

function checkTempoBeat(prev: TempoSegment, time: number, beat: number, path: string): void {
  const expect = prev.beat + ((time - prev.time) * prev.bpm) / 60.0;
  if (Math.abs(expect - beat) > TEMPO_BEAT_TOLERANCE) {
    throw new ChartError("value", path, `is ${fmt(beat)} but the segment before reaches beat ${fmt(expect)} at ${fmt(time)} s`);
  }
}

const ROOT_KEYS = [
  "format", "version", "lanes", "duration_s", "audio", "model", "time_signature", "tempo_map",
  "beats", "quantization", "difficulties",
];

function readLanes(v: JsonValue): Lane[] {
  const arr = asArray(v, "lanes");
  if (arr.length !== 8) throw new ChartError("count", "lanes", `expected 8 lanes, got ${arr.length}`);
  return arr.map((item, i) => {
    const p = `lanes[${i}]`;
    const o = asObject(item, p);
    onlyKeys(o, p, ["index", "name", "gm_note"]);
    const index = int(required(o, p, "index"), `${p}.index`, 0, 7);
    if (index !== i) throw new ChartError("value", `${p}.index`, `is ${index}, must be ${i} (lanes are listed in index order)`);
    const name = required(o, p, "name");
    if (typeof name !== "string") throw new ChartError("type", `${p}.name`, `expected a string, got ${describe(name)}`);
    if (!(LANE_NAMES as readonly string[]).includes(name)) {
      throw new ChartError("value", `${p}.name`, `unknown lane name ${JSON.stringify(name)}`);
    }
    if (name !== LANE_NAMES[i]) {
      throw new ChartError("value", `${p}.name`, `is ${JSON.stringify(name)}, lane ${i} is ${JSON.stringify(LANE_NAMES[i])}`);
    }
    const gmNote = int(required(o, p, "gm_note"), `${p}.gm_note`, 0, 127);
    return { index, name: name as LaneName, gmNote };
  });
}

function readAudio(v: JsonValue): void {
  const o = asObject(v, "audio");
  onlyKeys(o, "audio", ["file", "sha256"]);
  const file = o.get("file");
  if (file !== undefined) stringOrNull(file, "audio.file");
  const sha = o.get("sha256");
  if (sha !== undefined && stringOrNull(sha, "audio.sha256") !== null && !SHA256.test(sha as string)) {
    throw new ChartError("value", "audio.sha256", "expected 64 lowercase hex digits");
  }
}

function readTimeSignature(v: JsonValue): void {
  const p = "time_signature";
  const o = asObject(v, p);
  onlyKeys(o, p, ["numerator", "denominator"]);
  int(required(o, p, "numerator"), `${p}.numerator`, 1, 32);
  const d = required(o, p, "denominator");
  if (typeof d !== "number" || ![1, 2, 4, 8, 16, 32].includes(d)) {
    throw new ChartError("value", `${p}.denominator`, `expected one of 1, 2, 4, 8, 16, 32, got ${describe(d)}`);
  }
}

function readTempoMap(v: JsonValue): TempoSegment[] {
  const arr = asArray(v, "tempo_map");
  if (arr.length < 1) throw new ChartError("count", "tempo_map", "needs at least one tempo segment");
  const out: TempoSegment[] = [];
  arr.forEach((item, i) => {
    const p = `tempo_map[${i}]`;
    const o = asObject(item, p);
    onlyKeys(o, p, ["time_s", "bpm", "beat"]);
    const time = seconds(required(o, p, "time_s"), `${p}.time_s`);
    const bpm = num(required(o, p, "bpm"), `${p}.bpm`, { min: 0, max: 1000, exclusiveMin: true });
    const beat = num(required(o, p, "beat"), `${p}.beat`, { min: 0, max: 1e6 });
    checkOrder(time, out[i - 1]?.time, `${p}.time_s`, true);
    if (i > 0) checkTempoBeat(out[i - 1], time, beat, `${p}.beat`);
    out.push({ time, bpm, beat });
  });
  return out;
}

function readBeats(v: JsonValue): Beat[] {
  const arr = asArray(v, "beats");
  const out: Beat[] = [];
  arr.forEach((item, i) => {
    const p = `beats[${i}]`;
    const o = asObject(item, p);
    onlyKeys(o, p, ["time_s", "downbeat"]);
    const time = seconds(required(o, p, "time_s"), `${p}.time_s`);
    const downbeat = required(o, p, "downbeat");
    if (typeof downbeat !== "boolean") throw new ChartError("type", `${p}.downbeat`, `expected a boolean, got ${describe(downbeat)}`);
    checkOrder(time, out[i - 1]?.time, `${p}.time_s`, false);
    out.push({ time, downbeat });
  });
  return out;
}

function readQuantization(v: JsonValue): void {
  const p = "quantization";
  const o = asObject(v, p);
  onlyKeys(o, p, ["grid", "tolerance_s", "snapped", "kept", "max_shift_s"]);
  const grid = o.get("grid");
  if (grid !== undefined) stringOrNull(grid, `${p}.grid`);
  const tol = o.get("tolerance_s");
  if (tol !== undefined) num(tol, `${p}.tolerance_s`, { min: 0 });
  const snapped = o.get("snapped");
  if (snapped !== undefined) int(snapped, `${p}.snapped`, 0);
  const kept = o.get("kept");
  if (kept !== undefined) int(kept, `${p}.kept`, 0);
  const shift = o.get("max_shift_s");
  if (shift !== undefined) num(shift, `${p}.max_shift_s`, { min: 0 });
}

function readTrack(v: JsonValue, p: string): Track {
  const o = asObject(v, p);
  onlyKeys(o, p, ["hits"]);
  const arr = asArray(required(o, p, "hits"), `${p}.hits`);
  const hits: Hit[] = new Array(arr.length);
  let prev: number | undefined;
  for (let i = 0; i < arr.length; i++) {
    const hp = `${p}.hits[${i}]`;
    const h = asObject(arr[i], hp);
    onlyKeys(h, hp, ["time_s", "lane", "velocity", "raw_time_s", "beat"]);
    const time = seconds(required(h, hp, "time_s"), `${hp}.time_s`);
    const lane = int(required(h, hp, "lane"), `${hp}.lane`, 0, 7);
    const velocity = int(required(h, hp, "velocity"), `${hp}.velocity`, 1, 127);
    const raw = h.get("raw_time_s");
    if (raw !== undefined) seconds(raw, `${hp}.raw_time_s`);
    const beat = h.get("beat");
    if (beat !== undefined) num(beat, `${hp}.beat`, { min: 0 });
    checkOrder(time, prev, `${hp}.time_s`, false);
    prev = time;
    hits[i] = { time, lane, velocity };
  }
  return { hits };
}

function readDifficulties(v: JsonValue): Chart["difficulties"] {
  const p = "difficulties";
  const o = asObject(v, p);
  onlyKeys(o, p, DIFFICULTY_NAMES);
  required(o, p, "expert");
  const out: Partial<Record<DifficultyName, Track>> = {};
  for (const name of DIFFICULTY_NAMES) {
    const t = o.get(name);
    if (t !== undefined) out[name] = readTrack(t, `${p}.${name}`);
  }
  return out as Chart["difficulties"];
}

/** Validate a parsed JSON value as a chart v1 and convert it. */
function readChart(doc: JsonValue): Chart {
  const root = asObject(doc, "(root)");
  const format = required(root, "(root)", "format");
  if (format !== CHART_FORMAT) {
    throw new ChartError("value", "format", `expected "${CHART_FORMAT}", got ${typeof format === "string" ? JSON.stringify(format) : describe(format)}`);
  }
  const version = required(root, "(root)", "version");
  if (version !== CHART_VERSION) {
    throw new ChartError("version", "version", `unsupported chart version ${typeof version === "number" ? fmt(version) : typeof version === "string" ? JSON.stringify(version) : describe(version)} (this loader reads version ${CHART_VERSION})`);
  }
  onlyKeys(root, "(root)", ROOT_KEYS);
  const lanes = readLanes(required(root, "(root)", "lanes"));
  const durationS = seconds(required(root, "(root)", "duration_s"), "duration_s");
  const audio = root.get("audio");
  if (audio !== undefined) readAudio(audio);
  const model = root.get("model");
  if (model !== undefined) asObject(model, "model");
  const ts = root.get("time_signature");
  if (ts !== undefined) readTimeSignature(ts);
  const tempoMap = readTempoMap(required(root, "(root)", "tempo_map"));
  const beats = readBeats(required(root, "(root)", "beats"));
  const q = root.get("quantization");
  if (q !== undefined) readQuantization(q);
  const difficulties = readDifficulties(required(root, "(root)", "difficulties"));
  return { version: CHART_VERSION, lanes, durationS, tempoMap, beats, difficulties };
}

function parseDoc(text: string): JsonValue {
  try {
    return parseJson(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new ChartError("parse", "(json)", e.message);
    throw e;
  }
}

/** Load a chart from JSON text. Throws {@link ChartError}. */
export function parseChart(text: string): Chart {
  return readChart(parseDoc(text));
}

/** Load a chart from UTF-8 bytes (a file's contents). Throws {@link ChartError}. */
export function parseChartBytes(bytes: Uint8Array): Chart {
  let text: string;
  try {
    text = decodeUtf8(bytes);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new ChartError("parse", "(json)", `${e.message} (byte ${e.offset})`);
    throw e;
  }
  return parseChart(text);
}
