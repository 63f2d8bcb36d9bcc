/**
 * drumscribe bindings for TypeScript/JavaScript.
 *
 * - chart loading: `parseChart(text)`, `parseChartBytes(bytes)` (no Node APIs) and
 *   `loadChart(path)` (Node);
 * - peak picking and WAV decoding used by the model runner;
 * - the model runner itself lives in "./model", the live (hop-by-hop) runner in "./live"
 *   (both load onnxruntime-node).
 */

export * from "./chart";
export { loadChart } from "./node";
export { PEAK_RULES, PEAK_RULE_CONFIRM_FRAMES, isCandidate, isPeakRule, pickPeaks, resolveThresholds, roundHalfEven } from "./peaks";
export { LowLatencyResampler } from "./resample";
export type { PeakOptions, PeakRule, PickedHit } from "./peaks";
export { decodeWav, WavError } from "./wav";
export type { DecodedAudio } from "./wav";
