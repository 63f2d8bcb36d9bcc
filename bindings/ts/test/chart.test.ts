import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";

import { ChartError, loadChart, parseChart } from "../src/index";
import { JsonSyntaxError, MAX_DEPTH, parseJson } from "../src/json";

const FIXTURES = process.env.DRUMSCRIBE_FIXTURES ?? resolve(__dirname, "../../../fixtures");
const LARGE = process.env.DRUMSCRIBE_LARGE_FIXTURE;
const expected: Record<string, { kind: string; path: string | null }> = JSON.parse(
  readFileSync(join(FIXTURES, "expected_errors.json"), "utf-8"),
);
const list = (sub: string): string[] =>
  readdirSync(join(FIXTURES, sub)).filter((f) => f.endsWith(".json")).sort().map((f) => join(FIXTURES, sub, f));

describe("valid fixtures load", () => {
  const files = list("valid");
  if (LARGE) files.push(LARGE);
  it("there are fixtures", () => assert.ok(files.length >= 8));
  for (const file of files) {
    it(file, () => {
      const c = loadChart(file);
      assert.equal(c.lanes.length, 8);
      c.lanes.forEach((l, i) => assert.equal(l.index, i));
      for (const track of Object.values(c.difficulties)) {
        for (let i = 1; i < track!.hits.length; i++) assert.ok(track!.hits[i].time >= track!.hits[i - 1].time);
      }
    });
  }
});

describe("invalid fixtures are rejected", () => {
  for (const file of list("invalid")) {
    const name = file.slice(file.lastIndexOf("/") + 1, -".json".length);
    it(name, () => {
      const want = expected[name];
      assert.ok(want, `${name} is not in expected_errors.json`);
      assert.throws(() => loadChart(file), (e: unknown) => {
        assert.ok(e instanceof ChartError);
        assert.equal(e.kind, want.kind, e.message);
        if (want.path !== null) {
          assert.equal(e.path, want.path);
          assert.ok(e.message.startsWith(`${want.path}: `), e.message);
        }
        return true;
      });
    });
  }
});

describe("chart values", () => {
  it("one_hit", () => {
    const c = loadChart(join(FIXTURES, "valid", "one_hit.json"));
    assert.deepEqual(c.difficulties.expert.hits, [{ time: 0.5, lane: 1, velocity: 100 }]);
    assert.equal(c.durationS, 1);
    assert.deepEqual(c.tempoMap, [{ time: 0, bpm: 120, beat: 0 }]);
    assert.equal(c.difficulties.hard, undefined);
  });
  it("edge_values", () => {
    const c = loadChart(join(FIXTURES, "valid", "edge_values.json"));
    assert.deepEqual(c.difficulties.expert.hits.map((h) => [h.time, h.lane, h.velocity]), [
      [0, 0, 1], [0, 7, 127], [100, 3, 100], [86400, 6, 64],
    ]);
    assert.deepEqual(c.difficulties.easy, { hits: [] });
    assert.equal(c.durationS, 86400);
    assert.equal(c.tempoMap[1].bpm, 1e-3);
  });
  it("ties keep file order", () => {
    const c = loadChart(join(FIXTURES, "valid", "every_lane.json"));
    const at1 = c.difficulties.expert.hits.filter((h) => h.time === 1).map((h) => h.lane);
    assert.deepEqual(at1, [7, 0, 3]);
  });
});

describe("strict JSON", () => {
  const bad = ["", "{", "[1,]", '{"a":1,}', "01", "1.", ".5", "+1", "-", "1e", "NaN", "[1] x",
    '"\\x"', '"\\u12"', '"a\tb"', "{'a':1}", '{"a" 1}', "tru", "[1 2]", '{"a":1,"a":2}'];
  for (const text of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => assert.throws(() => parseJson(text), JsonSyntaxError));
  }
  it("accepts what JSON.parse accepts", () => {
    for (const text of ['{"a":[1,-0,2.5e-3,1E+2,true,false,null,"\\u00e9\\ud83e\\udd41\\n"]}', " [] ", '"x"', "-0.0"]) {
      assert.deepEqual(JSON.stringify(mapsToObjects(parseJson(text))), JSON.stringify(JSON.parse(text)));
    }
  });
  it("limits depth", () => {
    assert.doesNotThrow(() => parseJson("[".repeat(MAX_DEPTH) + "]".repeat(MAX_DEPTH)));
    assert.throws(() => parseJson("[".repeat(MAX_DEPTH + 1) + "]".repeat(MAX_DEPTH + 1)), /deeper/);
    assert.throws(() => parseJson("[".repeat(1_000_000)), /deeper/);
  });
  it("keeps integer-like keys in document order", () => {
    const m = parseJson('{"b":1,"2":2,"a":3,"1":4}') as Map<string, unknown>;
    assert.deepEqual([...m.keys()], ["b", "2", "a", "1"]);
  });
  it("parse errors name line and column", () => {
    assert.throws(() => parseChart('{\n  "format": x'), (e: unknown) =>
      e instanceof ChartError && e.kind === "parse" && /line 2 column 13/.test(e.message));
  });
});

function mapsToObjects(v: unknown): unknown {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, mapsToObjects(x)]));
  if (Array.isArray(v)) return v.map(mapsToObjects);
  return v;
}
