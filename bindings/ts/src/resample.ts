/**
 * Streaming windowed-sinc resampler with a short, known delay: the TypeScript twin of
 * drumscribe.live.LowLatencyResampler (same kernels, same output, any block split).
 *
 * Output sample m is the input signal at time m / outRate (so hit times need no correction),
 * low-passed below the lower Nyquist frequency by a Kaiser-windowed sinc with
 * RESAMPLE_ZERO_CROSSINGS zero crossings each side. It needs input up to `delayS` past an
 * output's time (1 ms with 16 kHz out). Equal rates pass through with no delay.
 */

/** Zero crossings of the sinc each side, at the lower rate (drumscribe.live.RESAMPLE_ZERO_CROSSINGS). */
export const RESAMPLE_ZERO_CROSSINGS = 16;
/** Kaiser window's beta (drumscribe.live.RESAMPLE_KAISER_BETA). */
export const RESAMPLE_KAISER_BETA = 6.0;

/** Relative size of the last term kept in the power series of I0. */
const I0_TOLERANCE = 1e-17;

/** Modified Bessel function of the first kind, order 0 (power series; x here is at most beta). */
function besselI0(x: number): number {
  const q = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; term > I0_TOLERANCE * sum; k++) {
    term *= q / (k * k);
    sum += term;
  }
  return sum;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const y = Math.PI * x;
  return Math.sin(y) / y;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

export class LowLatencyResampler {
  readonly passthrough: boolean;
  /** Pass band edge as a fraction of the input's Nyquist frequency. */
  readonly cutoff: number;
  /** Input samples the kernel reaches each side of an output's time. */
  readonly halfWidth: number;
  private table: Float64Array[] | null = null; // kernels per phase, built on first use
  private buf = new Float64Array(0);
  private base = 0; // absolute input index of buf[0]
  private nIn = 0;
  private nextOut = 0;

  constructor(readonly inRate: number, readonly outRate: number) {
    if (!Number.isInteger(inRate) || !Number.isInteger(outRate) || inRate <= 0 || outRate <= 0) {
      throw new RangeError(`sample rates must be positive integers, got ${inRate} and ${outRate}`);
    }
    this.passthrough = inRate === outRate;
    this.cutoff = Math.min(1.0, outRate / inRate);
    this.halfWidth = RESAMPLE_ZERO_CROSSINGS / this.cutoff;
  }

  /** Seconds of input needed past an output sample's time (0 when passing through). */
  get delayS(): number {
    return this.passthrough ? 0 : this.halfWidth / this.inRate;
  }

  /** Start a new signal at input sample 0. */
  reset(): void {
    this.buf = new Float64Array(0);
    this.base = 0;
    this.nIn = 0;
    this.nextOut = 0;
  }

  /** Resample the next mono block; `last` flushes (the input ends with zeros). */
  process(block: Float32Array, last = false): Float32Array {
    if (this.passthrough) {
      this.nIn += block.length;
      return block.slice();
    }
    const grown = new Float64Array(this.buf.length + block.length);
    grown.set(this.buf);
    grown.set(block, this.buf.length);
    this.buf = grown;
    this.nIn += block.length;
    let stop = last
      ? Math.ceil((this.nIn * this.outRate) / this.inRate)
      : Math.floor(((this.nIn - 1 - this.halfWidth) * this.outRate) / this.inRate) + 1;
    stop = Math.max(stop, this.nextOut);
    const out = this.render(this.nextOut, stop);
    this.nextOut = stop;
    const keepFrom = Math.floor((this.nextOut * this.inRate) / this.outRate) - Math.ceil(this.halfWidth) - 1;
    const drop = Math.min(Math.max(0, keepFrom - this.base), this.buf.length);
    this.buf = this.buf.slice(drop);
    this.base += drop;
    return out;
  }

  /** Filter taps for every phase: row p for outputs whose position's fraction is p / phases. */
  private kernels(): Float64Array[] {
    const phases = this.outRate / gcd(this.inRate, this.outRate);
    const reach = Math.ceil(this.halfWidth);
    const taps = 2 * reach + 2;
    const norm = besselI0(RESAMPLE_KAISER_BETA);
    const rows: Float64Array[] = [];
    for (let p = 0; p < phases; p++) {
      const row = new Float64Array(taps);
      for (let t = 0; t < taps; t++) {
        const dist = p / phases + reach - t; // input samples from the output's time
        if (Math.abs(dist) > this.halfWidth) continue;
        const ratio = Math.min(Math.max(1.0 - (dist / this.halfWidth) ** 2, 0.0), 1.0);
        const window = besselI0(RESAMPLE_KAISER_BETA * Math.sqrt(ratio)) / norm;
        row[t] = this.cutoff * sinc(this.cutoff * dist) * window;
      }
      rows.push(row);
    }
    return rows;
  }

  private render(start: number, stop: number): Float32Array {
    const out = new Float32Array(Math.max(0, stop - start));
    if (out.length === 0) return out;
    this.table ??= this.kernels();
    const table = this.table;
    const step = this.outRate / table.length; // = gcd of the rates
    const taps = table[0].length;
    const reach = (taps - 2) / 2;
    for (let m = start; m < stop; m++) {
      const num = m * this.inRate; // position * outRate, exact below 2^53
      const whole = Math.floor(num / this.outRate);
      const row = table[Math.floor((num % this.outRate) / step)];
      let acc = 0;
      for (let j = 0; j < taps; j++) {
        const idx = whole - reach + j;
        const rel = idx - this.base;
        if (idx < this.nIn && rel >= 0 && rel < this.buf.length) acc += this.buf[rel] * row[j];
      }
      out[m - start] = acc;
    }
    return out;
  }
}
