/** Node-only helpers: load a chart from a file. */

import { readFileSync } from "node:fs";

import { Chart, ChartError, parseChartBytes } from "./chart";

/**
 * Load a chart file. Throws {@link ChartError}; kind "io" when the file cannot be read.
 * Messages end with " (in <path>)".
 */
export function loadChart(path: string): Chart {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new ChartError("io", path, `cannot read the file: ${reason}`);
  }
  try {
    return parseChartBytes(bytes);
  } catch (e) {
    if (e instanceof ChartError) {
      const err = new ChartError(e.kind, e.path, `${e.message.slice(e.path.length + 2)} (in ${path})`);
      throw err;
    }
    throw e;
  }
}
