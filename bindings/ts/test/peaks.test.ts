import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { pickPeaks, resolveThresholds, roundHalfEven } from "../src/peaks";

/** [frames][lanes] -> frame-major flat array */
function flat(rows: number[][]): Float32Array {
  return Float32Array.from(rows.flat());
}

function lane0(values: number[]): Float32Array {
  return flat(values.map((v) => [v, 0, 0, 0, 0, 0, 0, 0]));
}

describe("roundHalfEven is Python's round", () => {
  const cases: [number, number][] = [[0.5, 0], [1.5, 2], [2.5, 2], [63.5, 64], [126.5, 126], [0.49999999999999994, 0], [3.7, 4], [127, 127]];
  for (const [x, want] of cases) it(`${x} -> ${want}`, () => assert.equal(roundHalfEven(x), want));
});

describe("pickPeaks", () => {
  it("a flat top yields its first frame, with no sub-frame shift beyond half a frame", () => {
    const hits = pickPeaks(lane0([0, 0.2, 0.9, 0.9, 0.1, 0]), 6, 8, { frameRate: 100, thresholds: 0.5, minIntervalS: 0 });
    assert.equal(hits.length, 1);
    assert.equal(hits[0].lane, 0);
    // parabola through 0.2, 0.9, 0.9: shift = 0.5 * (0.2 - 0.9) / (0.2 - 1.8 + 0.9) = 0.5
    assert.ok(Math.abs(hits[0].time - 0.025) < 1e-7, String(hits[0].time));
    assert.equal(hits[0].velocity, roundHalfEven(127 * Math.fround(0.9)));
  });
  it("edges count as zero and get no refinement", () => {
    const hits = pickPeaks(lane0([0.8, 0.1, 0.1, 0.7]), 4, 8, { frameRate: 10, thresholds: 0.5, minIntervalS: 0 });
    assert.deepEqual(hits.map((h) => h.time), [0, 0.3]);
  });
  it("min interval drops close hits of a lane, measured in whole frames", () => {
    const acts = lane0([0, 0.9, 0, 0.9, 0, 0, 0.9, 0]);
    const times = (s: number) => pickPeaks(acts, 8, 8, { frameRate: 100, thresholds: 0.5, minIntervalS: s }).length;
    assert.equal(times(0.02), 3);
    assert.equal(times(0.021), 2);
    assert.equal(times(0.05), 2);
    assert.equal(times(0.051), 1);
  });
  it("velocities come from the velocity head when given", () => {
    const acts = lane0([0, 0.9, 0]);
    const vels = lane0([0, 0.5, 0]);
    const [h] = pickPeaks(acts, 3, 8, { frameRate: 100, thresholds: 0.5, velocities: vels });
    assert.equal(h.velocity, 64); // round(63.5) -> 64 (even)
    const [low] = pickPeaks(acts, 3, 8, { frameRate: 100, thresholds: 0.5, velocities: lane0([0, 0.001, 0]) });
    assert.equal(low.velocity, 1);
  });
  it("per-lane thresholds by name, sorted output by time then lane", () => {
    const rows = [[0, 0, 0, 0, 0, 0, 0, 0], [0.6, 0.6, 0, 0, 0, 0, 0, 0.3], [0, 0, 0, 0, 0, 0, 0, 0]];
    const thr = { kick: 0.7, snare: 0.5, hihat: 0.5, hi_tom: 0.5, mid_tom: 0.5, low_tom: 0.5, crash: 0.5, ride: 0.2 };
    const hits = pickPeaks(flat(rows), 3, 8, { frameRate: 100, thresholds: thr });
    assert.deepEqual(hits.map((h) => h.lane), [1, 7]);
  });
  it("checks thresholds like resolve_thresholds", () => {
    assert.throws(() => resolveThresholds({ kick: 0.5 }), /missing/);
    assert.throws(() => resolveThresholds([0.5, 0.5]), /expected 8/);
    assert.throws(() => resolveThresholds(0), /\(0, 1\]/);
    assert.throws(() => resolveThresholds({ cowbell: 0.5 }), /unknown/);
  });
});
