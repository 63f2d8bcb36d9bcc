#!/usr/bin/env node
/**
 * drumscribe-ts: command line for the TypeScript bindings.
 *
 *   drumscribe-ts chart FILE...                  check charts; one line per file
 *   drumscribe-ts transcribe MODEL.onnx AUDIO.wav [--threads N] [--threshold X] [--min-interval S]
 *                [--activations PREFIX]          hits as JSON on stdout ({"hits": [...], "frames": N});
 *                                                PREFIX: also write PREFIXonsets.f32 (and
 *                                                PREFIXvelocities.f32), float32 [frames, 8]
 *   drumscribe-ts live LIVE_MODEL.onnx AUDIO.wav [--block N] [--peak-rule peak|rise]
 *                                                a live model (docs/LIVE.md) run hop by hop, the WAV
 *                                                (any rate: resampled as the Python runtime does)
 *                                                pushed N samples at a time (default 160); hits as
 *                                                JSON ({"hits": [...], "latency_s": s}); each hit also
 *                                                has "pushed": samples pushed when it came out
 *   drumscribe-ts peaks PARAMS.json ONSETS.f32 [VELOCITIES.f32]
 *                                                peak picking on raw float32 [frames, 8] files;
 *                                                PARAMS: {frames, frame_rate, thresholds, min_interval_s}
 *
 * Exit status: 0 done, 1 a file was bad (message on stderr), 2 usage.
 */

import { readFileSync, writeFileSync } from "node:fs";

import { ChartError } from "./chart";
import { loadChart } from "./node";
import { PEAK_RULES, PeakRule, PickedHit, isPeakRule, pickPeaks } from "./peaks";

class UsageError extends Error {}

function usage(message: string): never {
  throw new UsageError(message);
}

function printHits(hits: PickedHit[]): void {
  process.stdout.write(JSON.stringify({ hits }) + "\n");
}

function readFloat32(path: string): Float32Array {
  const buf = readFileSync(path);
  if (buf.byteLength % 4 !== 0) throw new Error(`${path}: size is not a multiple of 4 bytes`);
  const copy = new Uint8Array(buf.byteLength);
  copy.set(buf);
  return new Float32Array(copy.buffer);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "chart") {
    if (rest.length === 0) usage("chart needs at least one file");
    let bad = 0;
    for (const file of rest) {
      try {
        const c = loadChart(file);
        const counts = Object.entries(c.difficulties).map(([k, t]) => `${k} ${t!.hits.length}`);
        process.stdout.write(`${file}: ok (${counts.join(", ")} hits; ${c.durationS} s)\n`);
      } catch (e) {
        if (!(e instanceof ChartError)) throw e;
        process.stderr.write(`${file}: ${e.kind} error: ${e.message}\n`);
        bad++;
      }
    }
    return bad ? 1 : 0;
  }
  if (command === "transcribe") {
    const positional: string[] = [];
    const opts: { threads?: number; threshold?: number; minInterval?: number; activations?: string } = {};
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i];
      const value = (): number => {
        const v = Number(rest[++i]);
        if (rest[i] === undefined || !Number.isFinite(v)) usage(`${a} needs a number`);
        return v;
      };
      if (a === "--threads") opts.threads = value();
      else if (a === "--threshold") opts.threshold = value();
      else if (a === "--min-interval") opts.minInterval = value();
      else if (a === "--activations") {
        opts.activations = rest[++i];
        if (opts.activations === undefined) usage("--activations needs a path prefix");
      }
      else if (a.startsWith("--")) usage(`unknown option ${a}`);
      else positional.push(a);
    }
    if (positional.length !== 2) usage("transcribe needs MODEL.onnx and AUDIO.wav");
    const { DrumscribeModel, ModelError } = await import("./model");
    try {
      const model = await DrumscribeModel.load(positional[0], { threads: opts.threads });
      const { hits, activations } = await model.analyzeWav(positional[1], {
        thresholds: opts.threshold,
        minIntervalS: opts.minInterval,
      });
      await model.release();
      if (opts.activations !== undefined) {
        writeFileSync(`${opts.activations}onsets.f32`, new Uint8Array(activations.onsets.buffer, activations.onsets.byteOffset, activations.onsets.byteLength));
        const v = activations.velocities;
        if (v) writeFileSync(`${opts.activations}velocities.f32`, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      }
      process.stdout.write(JSON.stringify({ hits, frames: activations.frames }) + "\n");
      return 0;
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
      process.stderr.write(`drumscribe-ts: ${e.message}\n`);
      return 1;
    }
  }
  if (command === "live") {
    const positional: string[] = [];
    let block = 160;
    let peakRule: PeakRule | undefined;
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] === "--block") {
        block = Number(rest[++i]);
        if (!Number.isInteger(block) || block < 1) usage("--block needs a positive integer");
      } else if (rest[i] === "--peak-rule") {
        const rule = rest[++i];
        if (!isPeakRule(rule)) usage(`--peak-rule needs one of ${PEAK_RULES.join(", ")}`);
        peakRule = rule;
      } else if (rest[i].startsWith("--")) usage(`unknown option ${rest[i]}`);
      else positional.push(rest[i]);
    }
    if (positional.length !== 2) usage("live needs LIVE_MODEL.onnx and AUDIO.wav");
    const { ModelError } = await import("./model");
    const { LiveTranscriber } = await import("./live");
    const { decodeWav } = await import("./wav");
    try {
      const audio = decodeWav(readFileSync(positional[1]));
      const live = await LiveTranscriber.load(positional[0], { sampleRate: audio.sampleRate, peakRule });
      const hits: Array<PickedHit & { pushed: number }> = [];
      let pushed = 0;
      for (let i = 0; i < audio.samples.length; i += block) {
        const part = audio.samples.subarray(i, Math.min(i + block, audio.samples.length));
        pushed += part.length;
        for (const h of await live.push(part)) hits.push({ ...h, pushed });
      }
      for (const h of await live.finish()) hits.push({ ...h, pushed: -1 });
      process.stdout.write(JSON.stringify({ hits, latency_s: live.latencyS }) + "\n");
      return 0;
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
      process.stderr.write(`drumscribe-ts: ${e.message}\n`);
      return 1;
    }
  }
  if (command === "peaks") {
    if (rest.length < 2 || rest.length > 3) usage("peaks needs PARAMS.json ONSETS.f32 [VELOCITIES.f32]");
    const params = JSON.parse(readFileSync(rest[0], "utf-8"));
    const onsets = readFloat32(rest[1]);
    const velocities = rest[2] ? readFloat32(rest[2]) : undefined;
    printHits(pickPeaks(onsets, params.frames, 8, {
      frameRate: params.frame_rate,
      thresholds: params.thresholds,
      minIntervalS: params.min_interval_s,
      velocities,
      rule: params.rule,
    }));
    return 0;
  }
  return usage(command === undefined ? "no command" : `unknown command ${command}`);
}

// Set exitCode rather than calling process.exit(): exit() can cut off output still
// queued for a pipe.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    if (e instanceof UsageError) {
      process.stderr.write(`drumscribe-ts: ${e.message}\nusage: drumscribe-ts chart FILE... | transcribe MODEL.onnx AUDIO.wav [--threads N] [--threshold X] [--min-interval S] [--activations PREFIX] | live LIVE_MODEL.onnx AUDIO.wav [--block N] [--peak-rule peak|rise] | peaks PARAMS.json ONSETS.f32 [VELOCITIES.f32]\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`drumscribe-ts: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exitCode = 1;
    }
  },
);
