/**
 * Peak picking: onset activations -> drum hits. An exact port of
 * runtime/src/drumscribe/peaks.py (`pick_peaks`, offline), rule by rule:
 *
 * 1. frame t of a lane is a candidate when a[t] >= threshold, a[t] > a[t-1] and
 *    a[t] >= a[t+1] (a missing neighbour at either end counts as 0);
 * 2. its time is refined by a parabola through a[t-1], a[t], a[t+1], the shift clipped to
 *    half a frame; no refinement where a neighbour is missing;
 * 3. candidates are accepted left to right; one closer than min_interval_s (in frames,
 *    min_interval_s * frame_rate, with a 1e-9 tolerance) to the lane's last accepted hit
 *    is dropped;
 * 4. velocity is round-half-even(127 * v[t]) from the velocity head when there is one,
 *    else from a[t], clipped to 1..127.
 *
 * The "rise" rule (sidecar peak_picking.rule; the default is "peak", above) replaces 1 and 2:
 * frame t is a candidate when a[t] >= threshold, a[t] > a[t-1] and not (a[t-1] >= threshold
 * and a[t-1] > a[t-2]), the first frame over the threshold of each rise, with no refinement.
 * It needs no later frame, so a live model decides a hit one hop sooner.
 *
 * All arithmetic is in float64 in the same order as the Python code, so times are equal
 * to the last bit for the same activations.
 */

import { LANE_NAMES } from "./chart";

/** The peak-picking rules, as drumscribe.contract.PEAK_RULES. */
export const PEAK_RULES = ["peak", "rise"] as const;
export type PeakRule = (typeof PEAK_RULES)[number];

/** Is `x` one of PEAK_RULES? */
export function isPeakRule(x: unknown): x is PeakRule {
  return typeof x === "string" && (PEAK_RULES as readonly string[]).includes(x);
}

/** Frames after a hit's frame that its rule reads before deciding it (PEAK_RULE_CONFIRM_FRAMES). */
export const PEAK_RULE_CONFIRM_FRAMES: Record<PeakRule, number> = { peak: 1, rise: 0 };

/** Is frame t a candidate? `at(k)` is the lane's activation at frame k (0 outside the signal). */
export function isCandidate(rule: PeakRule, at: (k: number) => number, t: number, thr: number): boolean {
  const cur = at(t);
  const prev = at(t - 1);
  if (!(cur >= thr && cur > prev)) return false;
  if (rule === "rise") return !(prev >= thr && prev > at(t - 2));
  return cur >= at(t + 1);
}

export interface PickedHit {
  /** seconds */
  time: number;
  /** lane index 0..7 */
  lane: number;
  /** 1..127 */
  velocity: number;
}

export interface PeakOptions {
  /** frames per second of the activations */
  frameRate: number;
  /** one for all lanes, one per lane (array of 8), or {laneName: value} */
  thresholds?: number | ArrayLike<number> | Record<string, number>;
  /** minimum seconds between two hits of one lane */
  minIntervalS?: number;
  /** velocity head outputs, same layout as the activations */
  velocities?: ArrayLike<number>;
  /** the candidate rule (default "peak") */
  rule?: PeakRule;
}

const EPS = 1e-9;

/** Python's round(): nearest integer, ties to even. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** Thresholds as one value per lane, checked like drumscribe.peaks.resolve_thresholds. */
export function resolveThresholds(
  threshold: number | ArrayLike<number> | Record<string, number>,
  nLanes: number = LANE_NAMES.length,
): Float64Array {
  const names = LANE_NAMES.slice(0, nLanes) as readonly string[];
  let values: number[];
  if (typeof threshold === "number") {
    values = new Array(nLanes).fill(threshold);
  } else if (typeof (threshold as ArrayLike<number>).length === "number") {
    const arr = threshold as ArrayLike<number>;
    if (arr.length !== nLanes) throw new Error(`expected ${nLanes} thresholds, got ${arr.length}`);
    values = Array.from(arr, Number);
  } else {
    const dict = threshold as Record<string, number>;
    const unknown = Object.keys(dict).filter((k) => !names.includes(k)).sort();
    if (unknown.length) throw new Error(`unknown lanes in thresholds: ${unknown.join(", ")}`);
    const missing = names.filter((k) => !(k in dict)).slice().sort();
    if (missing.length) throw new Error(`thresholds missing for lanes: ${missing.join(", ")}`);
    values = names.map((k) => Number(dict[k]));
  }
  if (!values.every((v) => v > 0 && v <= 1)) {
    throw new Error(`thresholds must lie in (0, 1], got [${values.join(", ")}]`);
  }
  return Float64Array.from(values);
}

/**
 * Pick hits from activations laid out frame-major: `onsets[frame * nLanes + lane]`
 * (the [frames, lanes] matrix of one batch item, as onnxruntime returns it).
 * Returns hits sorted by time, then lane, then velocity.
 */
export function pickPeaks(
  onsets: ArrayLike<number>,
  nFrames: number,
  nLanes: number,
  options: PeakOptions,
): PickedHit[] {
  const frameRate = Number(options.frameRate);
  const minIntervalS = options.minIntervalS ?? 0.03;
  if (!(frameRate > 0)) throw new Error(`frame_rate must be > 0, got ${options.frameRate}`);
  if (!(minIntervalS >= 0)) throw new Error(`min_interval_s must be >= 0, got ${minIntervalS}`);
  if (onsets.length !== nFrames * nLanes) {
    throw new Error(`onsets has ${onsets.length} values, expected ${nFrames} x ${nLanes}`);
  }
  const vels = options.velocities;
  if (vels !== undefined && vels.length !== onsets.length) {
    throw new Error("velocities must have the same shape as onsets");
  }
  const thresholds = resolveThresholds(options.thresholds ?? 0.5, nLanes);
  const rule = options.rule ?? "peak";
  if (!isPeakRule(rule)) throw new Error(`peak rule must be one of ${PEAK_RULES.join(", ")}, got ${JSON.stringify(rule)}`);
  const minIntervalFrames = minIntervalS * frameRate;
  const at = (t: number, lane: number): number =>
    t < 0 || t >= nFrames ? 0 : Number(onsets[t * nLanes + lane]);

  const hits: PickedHit[] = [];
  for (let lane = 0; lane < nLanes; lane++) {
    let lastFrame = -Infinity;
    const thr = thresholds[lane];
    const atLane = (k: number): number => at(k, lane);
    for (let t = 0; t < nFrames; t++) {
      const cur = at(t, lane);
      if (!isCandidate(rule, atLane, t, thr)) continue;
      if (t - lastFrame < minIntervalFrames - EPS) continue;
      lastFrame = t;
      let shift = 0.0;
      if (rule === "peak" && t > 0 && t + 1 < nFrames) {
        const a = at(t - 1, lane);
        const b = cur;
        const c = at(t + 1, lane);
        const denom = a - 2.0 * b + c;
        if (denom < -EPS) {
          shift = Math.min(Math.max((0.5 * (a - c)) / denom, -0.5), 0.5);
        }
      }
      const value = vels !== undefined ? Number(vels[t * nLanes + lane]) : cur;
      const velocity = Math.min(Math.max(roundHalfEven(127.0 * value), 1), 127);
      const time = Math.max(0.0, (t + shift) / frameRate);
      hits.push({ time, lane, velocity });
    }
  }
  hits.sort((x, y) => x.time - y.time || x.lane - y.lane || x.velocity - y.velocity);
  return hits;
}
