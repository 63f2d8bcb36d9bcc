/** Node-only helpers: load a chart from a file. */

import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

import { Chart, ChartError, parseChartBytes } from "./chart";

/**
 * Largest chart file {@link loadChart} reads, bytes (64 MiB, as every drumscribe loader:
 * bindings/README.md). Only regular files are read: a pipe or a device such as /dev/zero
 * would be endless.
 */
export const MAX_CHART_BYTES = 64 * 1024 * 1024;

function readChartFile(path: string): Buffer {
  // O_NONBLOCK: opening a FIFO nobody writes to returns at once (it is refused below)
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new Error("it is a folder");
    if (!st.isFile()) throw new Error("not a regular file (a pipe or a device)");
    if (st.size > MAX_CHART_BYTES) throw new Error(`${st.size} bytes, more than the ${MAX_CHART_BYTES} allowed`);
    const buf = Buffer.alloc(st.size + 1);
    let len = 0;
    for (;;) {
      const got = readSync(fd, buf, len, buf.length - len, null);
      if (got === 0) break;
      len += got;
      if (len === buf.length) throw new Error("the file grew while it was read");
    }
    return buf.subarray(0, len);
  } finally {
    closeSync(fd);
  }
}

/**
 * Load a chart file. Throws {@link ChartError}; kind "io" when the file cannot be read
 * (missing, a folder, a pipe or device, larger than {@link MAX_CHART_BYTES}).
 * Messages end with " (in <path>)".
 */
export function loadChart(path: string): Chart {
  let bytes: Buffer;
  try {
    bytes = readChartFile(path);
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
