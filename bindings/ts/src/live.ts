/**
 * Run a drumscribe *live* model (docs/LIVE.md) with onnxruntime-node, one call of
 * `live.hops_per_call` hops at a time, and pick hits causally as drumscribe.LiveTranscriber
 * does, by the sidecar's peak_picking.rule (peaks.ts): under "peak" a lane's frame j is a hit
 * when a[j] >= threshold, a[j] > a[j-1], a[j] >= a[j+1], decided when frame j + 1 arrives;
 * under "rise" when it is the first frame over the threshold of a rise, decided at once; and
 * the lane's last hit is min_interval_s or more before (whole frames). Times stay on the
 * frame grid (no sub-frame refinement).
 *
 * Push mono float32 blocks of any length at `sampleRate` (default: the model's); other rates
 * go through LowLatencyResampler (resample.ts), the twin of the Python runtime's, which adds
 * its delay (1 ms at 16 kHz out) to `latencyS`. The hits equal the Python runtime's.
 */

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

import * as ort from "onnxruntime-node";

import { LANE_NAMES } from "./chart";
import { ModelError, Sidecar, parseSidecar } from "./model";
import { PEAK_RULES, PEAK_RULE_CONFIRM_FRAMES, PeakRule, PickedHit, isCandidate, isPeakRule, resolveThresholds, roundHalfEven } from "./peaks";
import { LowLatencyResampler } from "./resample";

/** Tolerance of the min-interval comparison, as in the Python peak picker. */
const EPS = 1e-9;

export interface LiveState {
  name: string;
  output: string;
  shape: number[];
}

export interface LiveSection {
  hopsPerCall: number;
  outputDelayFrames: number;
  latencyS: number;
  states: LiveState[];
}

/** The sidecar's `live` section, checked. */
export function parseLiveSection(raw: Record<string, unknown>, where: string): LiveSection {
  const live = raw.live;
  if (typeof live !== "object" || live === null) throw new ModelError(`${where}: not a live model (no "live" section)`);
  const l = live as Record<string, unknown>;
  const count = (key: string, low: number): number => {
    const v = l[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v < low) throw new ModelError(`${where}: live.${key} must be an integer >= ${low}`);
    return v;
  };
  const latency = l.latency_s;
  if (typeof latency !== "number" || !(latency >= 0)) throw new ModelError(`${where}: live.latency_s must be seconds >= 0`);
  if (!Array.isArray(l.states)) throw new ModelError(`${where}: live.states must be a list`);
  const states = l.states.map((s: unknown, i: number): LiveState => {
    const o = s as Record<string, unknown>;
    const shape = o?.shape;
    if (typeof o?.name !== "string" || typeof o?.output !== "string" || !Array.isArray(shape)
      || !shape.every((d) => typeof d === "number" && Number.isInteger(d) && d > 0)) {
      throw new ModelError(`${where}: live.states[${i}] must be {name, output, shape}`);
    }
    return { name: o.name, output: o.output, shape: shape as number[] };
  });
  return { hopsPerCall: count("hops_per_call", 1), outputDelayFrames: count("output_delay_frames", 0), latencyS: latency, states };
}

export interface LiveOptions {
  /** override the sidecar's thresholds */
  thresholds?: number | ArrayLike<number> | Record<string, number>;
  /** override the sidecar's min_interval_s */
  minIntervalS?: number;
  /** rate of the pushed audio in Hz (default: the model's); resampled to the model's */
  sampleRate?: number;
  /** override the sidecar's peak_picking.rule; "rise" on a "peak" model takes one hop off latencyS */
  peakRule?: PeakRule;
}

export class LiveTranscriber {
  private state = new Map<string, ort.Tensor>();
  private pending = new Float32Array(0);
  private samples = 0;
  private framesOut = 0;
  private framesPicked = 0;
  private finished = false;
  /** the last two picked frames' activations (and velocities), per lane: [prev, cur] */
  private prev: Float64Array;
  private cur: Float64Array;
  private curVel: Float64Array;
  private lastHit: Float64Array;
  private readonly thresholds: Float64Array;
  private readonly minIntervalFrames: number;
  private readonly resampler: LowLatencyResampler;
  /** the peak rule in use (options.peakRule, else the sidecar's) */
  readonly peakRule: PeakRule;

  private constructor(
    readonly path: string,
    readonly sidecar: Sidecar,
    readonly live: LiveSection,
    private readonly session: ort.InferenceSession,
    readonly hasVelocities: boolean,
    options: LiveOptions,
  ) {
    const n = LANE_NAMES.length;
    this.thresholds = resolveThresholds(options.thresholds ?? sidecar.thresholds, n);
    this.minIntervalFrames = (options.minIntervalS ?? sidecar.minIntervalS) * sidecar.frameRate;
    const rule = options.peakRule ?? sidecar.peakRule;
    if (!isPeakRule(rule)) throw new ModelError(`peakRule must be one of ${PEAK_RULES.join(", ")}, got ${JSON.stringify(rule)}`);
    this.peakRule = rule;
    this.prev = new Float64Array(n);
    this.cur = new Float64Array(n);
    this.curVel = new Float64Array(n);
    this.lastHit = new Float64Array(n).fill(-Infinity);
    const rate = options.sampleRate ?? sidecar.sampleRate;
    if (!Number.isInteger(rate) || rate <= 0) throw new ModelError(`sampleRate must be a positive integer (Hz), got ${rate}`);
    this.resampler = new LowLatencyResampler(rate, sidecar.sampleRate);
    this.reset();
  }

  /** Load a live model.onnx and its sidecar (sha256 checked); one intra-op thread. */
  static async load(modelPath: string, options: LiveOptions = {}): Promise<LiveTranscriber> {
    const sidePath = `${modelPath}.json`;
    let bytes: Buffer;
    let raw: unknown;
    try {
      bytes = readFileSync(modelPath);
      raw = JSON.parse(readFileSync(sidePath, "utf-8"));
    } catch (e) {
      throw new ModelError(`${modelPath}: cannot read the model or its sidecar (${(e as Error).message})`);
    }
    const sidecar = parseSidecar(raw, sidePath);
    const live = parseLiveSection(sidecar.raw, sidePath);
    const actual = createHash("sha256").update(bytes).digest("hex");
    if (actual !== sidecar.onnxSha256) throw new ModelError(`${modelPath}: sha256 does not match the sidecar's`);
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: ["cpu"], intraOpNumThreads: 1, interOpNumThreads: 1,
    });
    const expected = ["audio", ...live.states.map((s) => s.name)];
    if (session.inputNames.join(",") !== expected.join(",")) {
      throw new ModelError(`${modelPath}: inputs ${session.inputNames.join(", ")} differ from the sidecar's ${expected.join(", ")}`);
    }
    return new LiveTranscriber(modelPath, sidecar, live, session, session.outputNames.includes("velocities"), options);
  }

  /**
   * Declared algorithmic latency, seconds: the sidecar's live.latency_s (with the confirmation
   * frames of the rule in use in place of the sidecar rule's) plus the resampler's delay.
   */
  get latencyS(): number {
    const confirm = PEAK_RULE_CONFIRM_FRAMES[this.peakRule] - PEAK_RULE_CONFIRM_FRAMES[this.sidecar.peakRule];
    return this.live.latencyS + (confirm * this.sidecar.hopLength) / this.sidecar.sampleRate + this.resampler.delayS;
  }

  /** Rate of the pushed audio, Hz. */
  get sampleRate(): number {
    return this.resampler.inRate;
  }

  /** Start a new signal at time 0: zero state. */
  reset(): void {
    for (const s of this.live.states) {
      this.state.set(s.name, new ort.Tensor("float32", new Float32Array(s.shape.reduce((a, b) => a * b, 1)), s.shape));
    }
    this.resampler.reset();
    this.pending = new Float32Array(0);
    this.samples = 0;
    this.framesOut = 0;
    this.framesPicked = 0;
    this.finished = false;
    this.prev.fill(0);
    this.cur.fill(0);
    this.curVel.fill(0);
    this.lastHit.fill(-Infinity);
  }

  /** Push mono float32 samples at `sampleRate`; returns the hits decided so far. */
  async push(block: Float32Array): Promise<PickedHit[]> {
    if (this.finished) throw new ModelError("push() after finish(): call reset() to start a new signal");
    const modelRate = this.resampler.process(block);
    this.samples += modelRate.length; // samples at the model's rate
    return this.feed(modelRate, undefined);
  }

  /** End the signal: flush the look-ahead with zeros and return the last hits. */
  async finish(): Promise<PickedHit[]> {
    if (this.finished) throw new ModelError("finish() after finish(): call reset() to start a new signal");
    this.finished = true;
    const tail = this.resampler.process(new Float32Array(0), true);
    this.samples += tail.length;
    const hits = await this.feed(tail, undefined);
    const hop = this.sidecar.hopLength;
    const frames = Math.floor(this.samples / hop) + 1;
    const missing = frames + this.live.outputDelayFrames - this.framesOut;
    if (missing > 0) {
      const perCall = this.live.hopsPerCall * hop;
      const zeros = Math.max(0, Math.ceil(missing / this.live.hopsPerCall) * perCall - this.pending.length);
      hits.push(...(await this.feed(new Float32Array(zeros), frames)));
    }
    hits.push(...this.pickFrame(null)); // the last frame, with a 0 after it
    return hits;
  }

  private async feed(samples: Float32Array, framesWanted: number | undefined): Promise<PickedHit[]> {
    const all = new Float32Array(this.pending.length + samples.length);
    all.set(this.pending);
    all.set(samples, this.pending.length);
    const step = this.live.hopsPerCall * this.sidecar.hopLength;
    const calls = Math.floor(all.length / step);
    const hits: PickedHit[] = [];
    const delay = this.live.outputDelayFrames;
    const n = LANE_NAMES.length;
    for (let c = 0; c < calls; c++) {
      const feeds: Record<string, ort.Tensor> = { audio: new ort.Tensor("float32", all.slice(c * step, (c + 1) * step), [1, step]) };
      for (const s of this.live.states) feeds[s.name] = this.state.get(s.name)!;
      const out = await this.session.run(feeds);
      for (const s of this.live.states) this.state.set(s.name, out[s.output]);
      const onsets = out.onsets.data as Float32Array;
      const vels = this.hasVelocities ? (out.velocities.data as Float32Array) : undefined;
      const k = onsets.length / n;
      for (let f = 0; f < k; f++) {
        const frame = this.framesOut + f - delay; // the frame this output predicts
        if (frame < 0 || (framesWanted !== undefined && frame >= framesWanted)) continue;
        const a = Array.from(onsets.subarray(f * n, (f + 1) * n));
        const v = vels ? Array.from(vels.subarray(f * n, (f + 1) * n)) : a;
        hits.push(...this.pickFrame({ a, v }));
      }
      this.framesOut += k;
    }
    this.pending = all.slice(calls * step);
    return hits;
  }

  /**
   * Take the next frame (null: the signal ended) and decide the frame the rule can now
   * decide: the one before it under "peak", the new one itself under "rise".
   */
  private pickFrame(next: { a: number[]; v: number[] } | null): PickedHit[] {
    const hits: PickedHit[] = [];
    const rule = this.peakRule;
    const newest = this.framesPicked; // the index `next` has (or would have had)
    const t = newest - PEAK_RULE_CONFIRM_FRAMES[rule]; // the frame being decided
    if (t >= 0 && (next !== null || t < newest)) {
      for (let lane = 0; lane < LANE_NAMES.length; lane++) {
        const at = (k: number): number =>
          k === newest ? (next ? next.a[lane] : 0) : k === newest - 1 ? this.cur[lane] : k === newest - 2 ? this.prev[lane] : 0;
        if (!isCandidate(rule, at, t, this.thresholds[lane])) continue;
        if (t - this.lastHit[lane] < this.minIntervalFrames - EPS) continue;
        this.lastHit[lane] = t;
        const vel = t === newest ? next!.v[lane] : this.curVel[lane];
        const velocity = Math.min(Math.max(roundHalfEven(127.0 * vel), 1), 127);
        hits.push({ time: t / this.sidecar.frameRate, lane, velocity });
      }
    }
    if (next) {
      this.prev.set(this.cur);
      this.cur.set(next.a);
      this.curVel.set(next.v);
      this.framesPicked++;
    }
    return hits;
  }
}
