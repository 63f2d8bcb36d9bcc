/**
 * The bindings test protocol (see tests/bindings/conftest.py): for each chart file given,
 * print "OK\t<name>\t<summary>" or "ERR\t<name>\t<kind>\t<message>", then "CHECK" lines
 * for API details. Exit 0 unless the program itself broke.
 */

import { readFileSync } from "node:fs";
import { basename } from "node:path";

import { Chart, ChartError, LANE_NAMES, parseChart, parseChartBytes } from "../src/chart";
import { loadChart } from "../src/node";

const f6 = (x: number): string => x.toFixed(6);

function seqsum(values: number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

export function summarize(c: Chart): string {
  const fields: string[] = [];
  fields.push(`lanes=${c.lanes.map((l) => `${l.name}:${l.gmNote}`).join(",")}`);
  fields.push(`duration=${f6(c.durationS)}`);
  const t = c.tempoMap;
  fields.push(`tempo=${t.length};${f6(seqsum(t.map((s) => s.time)))};${f6(seqsum(t.map((s) => s.bpm)))};${f6(seqsum(t.map((s) => s.beat)))}`);
  const b = c.beats;
  fields.push(`beats=${b.length};${b.filter((x) => x.downbeat).length};${f6(seqsum(b.map((x) => x.time)))}`);
  for (const name of ["expert", "hard", "medium", "easy"] as const) {
    const track = c.difficulties[name];
    if (!track) {
      fields.push(`${name}=-`);
      continue;
    }
    const h = track.hits;
    const one = (x: (typeof h)[number] | undefined): string => (x ? `${f6(x.time)},${x.lane},${x.velocity}` : "none");
    fields.push(`${name}=${h.length};${f6(seqsum(h.map((x) => x.time)))};${seqsum(h.map((x) => x.lane))};${seqsum(h.map((x) => x.velocity))};${one(h[0])};${one(h[h.length - 1])}`);
  }
  return fields.join(" ");
}

function check(name: string, fn: () => string | true): void {
  let outcome: string | true;
  try {
    outcome = fn();
  } catch (e) {
    outcome = `threw ${e instanceof Error ? e.message : String(e)}`;
  }
  process.stdout.write(`CHECK\t${name}\t${outcome === true ? "PASS" : "FAIL"}\t${outcome === true ? "" : outcome}\n`);
}

function errorOf(fn: () => unknown): ChartError | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ChartError) return e;
    throw e;
  }
  return undefined;
}

function main(files: string[]): void {
  let first = "";
  for (const file of files) {
    const name = basename(file);
    try {
      const chart = loadChart(file);
      process.stdout.write(`OK\t${name}\t${summarize(chart)}\n`);
      if (!first) first = file;
    } catch (e) {
      if (!(e instanceof ChartError)) throw e;
      process.stdout.write(`ERR\t${name}\t${e.kind}\t${e.message.replace(/[\t\n\r]/g, " ")}\n`);
    }
  }
  const oneHit = '{"format":"drumscribe-chart","version":1,"lanes":' +
    JSON.stringify(LANE_NAMES.map((n, i) => ({ index: i, name: n, gm_note: [36, 38, 42, 50, 47, 45, 49, 51][i] }))) +
    ',"duration_s":1,"tempo_map":[{"time_s":0,"bpm":120,"beat":0}],"beats":[],' +
    '"difficulties":{"expert":{"hits":[{"time_s":0.5,"lane":1,"velocity":100}]}}}';
  check("parse_text", () => {
    const c = parseChart(oneHit);
    const h = c.difficulties.expert.hits;
    return h.length === 1 && h[0].time === 0.5 && h[0].lane === 1 && h[0].velocity === 100 &&
      c.lanes[2].name === "hihat" && c.difficulties.hard === undefined ? true : JSON.stringify(c);
  });
  check("parse_text_with_bom", () => parseChart("\ufeff" + oneHit).durationS === 1 ? true : "wrong");
  check("parse_bytes", () => parseChartBytes(new TextEncoder().encode(oneHit)).lanes.length === 8 ? true : "wrong");
  check("missing_file_is_io_error", () => {
    const e = errorOf(() => loadChart("/nonexistent/dir/chart.json"));
    return e?.kind === "io" ? true : `got ${e?.kind}`;
  });
  check("error_fields", () => {
    const e = errorOf(() => parseChart(oneHit.replace('"lane":1', '"lane":9')));
    return e?.kind === "range" && e.path === "difficulties.expert.hits[0].lane" &&
      e.message.startsWith("difficulties.expert.hits[0].lane: ") ? true : `got ${e?.kind} ${e?.message}`;
  });
  check("file_error_names_the_file", () => {
    const bad = files.find((f) => f.includes("unsorted_hits"));
    if (!bad) return "no unsorted_hits fixture given";
    const e = errorOf(() => loadChart(bad));
    return e?.message.includes(bad) ? true : `message ${e?.message}`;
  });
  check("bytes_equal_text", () => {
    if (!first) return "no valid fixture";
    const a = parseChartBytes(readFileSync(first));
    return summarize(a) === summarize(loadChart(first)) ? true : "differ";
  });
}

main(process.argv.slice(2));
