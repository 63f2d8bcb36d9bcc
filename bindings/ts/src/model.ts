/**
 * Run a drumscribe model.onnx with onnxruntime-node and pick hits exactly as the Python
 * runtime does (see peaks.ts).
 *
 * The model's sidecar (`model.onnx.json`, beside the model) is checked like the Python
 * runtime checks it: format "drumscribe-model" version 1, the 8 lanes in order, positive
 * sample_rate and hop_length, per-lane thresholds in (0, 1], min_interval_s, and the
 * sha256 of the .onnx file. Frame rate is sample_rate / hop_length.
 *
 * Audio must already be mono float32 at the sidecar's sample rate (no resampling here);
 * the whole signal goes through the model in one pass.
 */

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

import * as ort from "onnxruntime-node";

import { LANE_NAMES } from "./chart";
import { PEAK_RULES, PeakRule, PickedHit, isPeakRule, pickPeaks, resolveThresholds } from "./peaks";
import { decodeWav } from "./wav";

export const SIDECAR_FORMAT = "drumscribe-model";
export const SIDECAR_VERSION = 1;

export class ModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelError";
  }
}

export interface Sidecar {
  name: string;
  sampleRate: number;
  hopLength: number;
  /** frames per second: sampleRate / hopLength */
  frameRate: number;
  lanes: string[];
  /** one per lane, in lane order */
  thresholds: Float64Array;
  minIntervalS: number;
  /** peak_picking.rule ("peak" when the sidecar has none) */
  peakRule: PeakRule;
  onnxSha256: string;
  /** the whole sidecar as parsed */
  raw: Record<string, unknown>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Validate a parsed sidecar; `where` names the file in messages. */
/** Silence before the start of a signal for its head pass, seconds (drumscribe.inference.LEAD_S). */
const HEAD_LEAD_S = 0.1;
/** Output frames at the start of a signal taken from the head pass, seconds (HEAD_S). */
const HEAD_S = 0.05;
/** Audio after the start that the head pass sees, seconds (HEAD_CONTEXT_S). */
const HEAD_CONTEXT_S = 1.0;

export function parseSidecar(data: unknown, where: string): Sidecar {
  if (!isObject(data)) throw new ModelError(`${where}: sidecar must be a JSON object`);
  const get = (parent: Record<string, unknown>, key: string, prefix = ""): unknown => {
    if (!(key in parent)) throw new ModelError(`${where}: sidecar misses key ${prefix}${key}`);
    return parent[key];
  };
  const int = (v: unknown, key: string): number => {
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
      throw new ModelError(`${where}: sidecar key ${key} must be a positive integer`);
    }
    return v;
  };
  if (get(data, "format") !== SIDECAR_FORMAT) {
    throw new ModelError(`${where}: not a drumscribe model sidecar (format ${JSON.stringify(data.format)})`);
  }
  if (get(data, "format_version") !== SIDECAR_VERSION) {
    throw new ModelError(`${where}: sidecar format_version ${JSON.stringify(data.format_version)} is not supported (this binding reads ${SIDECAR_VERSION})`);
  }
  const lanes = get(data, "lanes");
  if (!Array.isArray(lanes) || lanes.length !== LANE_NAMES.length || lanes.some((l, i) => l !== LANE_NAMES[i])) {
    throw new ModelError(`${where}: model lanes ${JSON.stringify(lanes)} differ from ${JSON.stringify(LANE_NAMES)}`);
  }
  const sampleRate = int(get(data, "sample_rate"), "sample_rate");
  const hopLength = int(get(data, "hop_length"), "hop_length");
  const frameRate = sampleRate / hopLength;
  if ("frame_rate" in data) {
    const fr = data.frame_rate;
    if (typeof fr !== "number" || Math.abs(fr - frameRate) > 1e-9 * frameRate) {
      throw new ModelError(`${where}: frame_rate ${JSON.stringify(fr)} is not sample_rate / hop_length = ${frameRate}`);
    }
  }
  const pp = get(data, "peak_picking");
  if (!isObject(pp)) throw new ModelError(`${where}: sidecar key peak_picking must be an object`);
  const thr = get(pp, "thresholds", "peak_picking.");
  let thresholds: Float64Array;
  try {
    if (!isObject(thr) || Object.values(thr).some((v) => typeof v !== "number")) throw new Error("not a {lane: number} object");
    thresholds = resolveThresholds(thr as Record<string, number>);
  } catch (e) {
    throw new ModelError(`${where}: peak_picking.thresholds must give each of the 8 lanes a value in (0, 1] (${(e as Error).message})`);
  }
  const minIntervalS = get(pp, "min_interval_s", "peak_picking.");
  if (typeof minIntervalS !== "number" || !(minIntervalS >= 0)) {
    throw new ModelError(`${where}: peak_picking.min_interval_s must be a number >= 0`);
  }
  const rule = pp.rule ?? "peak";
  if (!isPeakRule(rule)) {
    throw new ModelError(`${where}: peak_picking.rule must be one of ${PEAK_RULES.join(", ")}, got ${JSON.stringify(rule)}`);
  }
  const sha = get(data, "onnx_sha256");
  if (typeof sha !== "string") throw new ModelError(`${where}: sidecar key onnx_sha256 must be a string`);
  return {
    name: typeof data.name === "string" ? data.name : "drumscribe",
    sampleRate, hopLength, frameRate, lanes: [...LANE_NAMES], thresholds, minIntervalS,
    peakRule: rule, onnxSha256: sha, raw: data,
  };
}

export interface Activations {
  frames: number;
  /** [frames, 8] frame-major */
  onsets: Float32Array;
  /** [frames, 8] frame-major, when the model has a velocity head */
  velocities?: Float32Array;
}

export interface Analysis {
  hits: PickedHit[];
  activations: Activations;
}

export interface LoadOptions {
  /** default: `${modelPath}.json` */
  sidecarPath?: string;
  /** onnxruntime intra-op threads (default: onnxruntime's choice) */
  threads?: number;
}

export interface TranscribeOptions {
  /** override the sidecar's thresholds */
  thresholds?: number | ArrayLike<number> | Record<string, number>;
  /** override the sidecar's min_interval_s */
  minIntervalS?: number;
}

export class DrumscribeModel {
  private constructor(
    readonly path: string,
    readonly sidecar: Sidecar,
    private readonly session: ort.InferenceSession,
    readonly hasVelocities: boolean,
  ) {}

  /** Load model.onnx and its sidecar; checks the sha256 and the input/output names. */
  static async load(modelPath: string, options: LoadOptions = {}): Promise<DrumscribeModel> {
    const sidePath = options.sidecarPath ?? `${modelPath}.json`;
    let modelBytes: Buffer;
    try {
      modelBytes = readFileSync(modelPath);
    } catch (e) {
      throw new ModelError(`${modelPath}: cannot read the model (${(e as Error).message})`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(sidePath, "utf-8"));
    } catch (e) {
      throw new ModelError(`${sidePath}: unreadable sidecar (${(e as Error).message})`);
    }
    const sidecar = parseSidecar(raw, sidePath);
    const actual = createHash("sha256").update(modelBytes).digest("hex");
    if (actual !== sidecar.onnxSha256) {
      throw new ModelError(`${modelPath}: sha256 ${actual.slice(0, 12)}... does not match the sidecar's ${sidecar.onnxSha256.slice(0, 12)}...`);
    }
    const sessionOptions: ort.InferenceSession.SessionOptions = { executionProviders: ["cpu"] };
    if (options.threads !== undefined) {
      sessionOptions.intraOpNumThreads = options.threads;
      sessionOptions.interOpNumThreads = 1;
    }
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(modelBytes, sessionOptions);
    } catch (e) {
      throw new ModelError(`${modelPath}: onnxruntime cannot load the model (${(e as Error).message})`);
    }
    if (!session.inputNames.includes("audio")) {
      throw new ModelError(`${modelPath}: the model has no input "audio" (inputs: ${session.inputNames.join(", ")})`);
    }
    if (!session.outputNames.includes("onsets")) {
      throw new ModelError(`${modelPath}: the model has no output "onsets" (outputs: ${session.outputNames.join(", ")})`);
    }
    return new DrumscribeModel(modelPath, sidecar, session, session.outputNames.includes("velocities"));
  }

  /**
   * Run the model on mono float32 audio at sidecar.sampleRate.
   *
   * As the Python runtime does (drumscribe.inference: LEAD_S, HEAD_S, HEAD_CONTEXT_S), the
   * first 50 ms of frames come from a second pass over the first second of audio heard after
   * 0.1 s of silence, so that a hit at the very start of the signal is found.
   */
  async activations(samples: Float32Array): Promise<Activations> {
    if (samples.length === 0) throw new ModelError("audio is empty");
    for (let i = 0; i < samples.length; i++) {
      if (!Number.isFinite(samples[i])) throw new ModelError(`audio has a non-finite sample at ${i}`);
    }
    const whole = await this.run(samples);
    const { sampleRate, hopLength } = this.sidecar;
    const lead = Math.round((HEAD_LEAD_S * sampleRate) / hopLength) * hopLength;
    const headFrames = Math.max(1, Math.round((HEAD_S * sampleRate) / hopLength));
    const headLength = Math.min(samples.length, Math.round(HEAD_CONTEXT_S * sampleRate));
    const padded = new Float32Array(lead + headLength);
    padded.set(samples.subarray(0, headLength), lead);
    const head = await this.run(padded);
    const first = lead / hopLength;
    const n = Math.min(headFrames, whole.frames, head.frames - first);
    const lanes = LANE_NAMES.length;
    whole.onsets.set(head.onsets.subarray(first * lanes, (first + n) * lanes), 0);
    if (whole.velocities && head.velocities) {
      whole.velocities.set(head.velocities.subarray(first * lanes, (first + n) * lanes), 0);
    }
    return whole;
  }

  private async run(samples: Float32Array): Promise<Activations> {
    const feeds = { audio: new ort.Tensor("float32", samples, [1, samples.length]) };
    const names = this.hasVelocities ? ["onsets", "velocities"] : ["onsets"];
    const out = await this.session.run(feeds, names);
    const onsets = out.onsets;
    const dims = onsets.dims;
    if (dims.length !== 3 || dims[0] !== 1 || dims[2] !== LANE_NAMES.length) {
      throw new ModelError(`${this.path}: output onsets has shape [${dims.join(", ")}], expected [1, frames, 8]`);
    }
    const frames = Number(dims[1]);
    const result: Activations = { frames, onsets: onsets.data as Float32Array };
    if (this.hasVelocities) {
      const v = out.velocities;
      if (v.dims.join(",") !== dims.join(",")) {
        throw new ModelError(`${this.path}: output velocities has shape [${v.dims.join(", ")}], not that of onsets`);
      }
      result.velocities = v.data as Float32Array;
    }
    return result;
  }

  /** Transcribe mono float32 audio; `sampleRate` must be the sidecar's. */
  async transcribe(samples: Float32Array, sampleRate: number, options: TranscribeOptions = {}): Promise<PickedHit[]> {
    return (await this.analyze(samples, sampleRate, options)).hits;
  }

  /** Like {@link transcribe}, and also return the activations the hits were picked from. */
  async analyze(samples: Float32Array, sampleRate: number, options: TranscribeOptions = {}): Promise<Analysis> {
    if (sampleRate !== this.sidecar.sampleRate) {
      throw new ModelError(`audio at ${sampleRate} Hz, the model needs ${this.sidecar.sampleRate} Hz (resample first)`);
    }
    const activations = await this.activations(samples);
    const hits = pickPeaks(activations.onsets, activations.frames, LANE_NAMES.length, {
      frameRate: this.sidecar.frameRate,
      thresholds: options.thresholds ?? this.sidecar.thresholds,
      minIntervalS: options.minIntervalS ?? this.sidecar.minIntervalS,
      velocities: activations.velocities,
      rule: this.sidecar.peakRule,
    });
    return { hits, activations };
  }

  /** Transcribe a WAV file (mixed down to mono; must be at the model's sample rate). */
  async transcribeWav(path: string, options: TranscribeOptions = {}): Promise<PickedHit[]> {
    return (await this.analyzeWav(path, options)).hits;
  }

  /** Like {@link transcribeWav}, and also return the activations. */
  async analyzeWav(path: string, options: TranscribeOptions = {}): Promise<Analysis> {
    let audio;
    try {
      audio = decodeWav(readFileSync(path));
    } catch (e) {
      throw new ModelError(`${path}: ${(e as Error).message}`);
    }
    if (audio.samples.length === 0) throw new ModelError(`${path}: no audio samples`);
    try {
      return await this.analyze(audio.samples, audio.sampleRate, options);
    } catch (e) {
      if (e instanceof ModelError) throw new ModelError(`${path}: ${e.message}`);
      throw e;
    }
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
