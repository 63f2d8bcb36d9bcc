/**
 * A minimal WAV (RIFF/RIFX-less, little-endian) reader: PCM 8/16/24/32-bit integer and
 * 32/64-bit IEEE float, WAVE_FORMAT_EXTENSIBLE included. Returns float32 mono samples
 * (channels averaged) scaled like libsndfile: integer PCM / 2^(bits-1).
 * No resampling: feed a model audio at its sidecar's sample rate.
 */

export interface DecodedAudio {
  sampleRate: number;
  channels: number;
  /** mono samples (the mean of the channels), float32 */
  samples: Float32Array;
}

export class WavError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WavError";
  }
}

/**
 * WAV data sizes a streaming writer puts in a header it cannot go back to fix: such a file
 * is read as far as it goes. Any other data size longer than the file means the file was cut
 * short, and it is refused (as drumscribe's Python runtime refuses it).
 */
export const STREAMING_DATA_SIZES: readonly number[] = [0, 0x7fffffff, 0xffffffff];

const PCM = 1;
const FLOAT = 3;
const EXTENSIBLE = 0xfffe;

function tag(view: DataView, at: number): string {
  return String.fromCharCode(
    view.getUint8(at), view.getUint8(at + 1), view.getUint8(at + 2), view.getUint8(at + 3),
  );
}

/** Decode a WAV file's bytes. Throws {@link WavError} on anything it cannot read. */
export function decodeWav(bytes: Uint8Array): DecodedAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12 || tag(view, 0) !== "RIFF" || tag(view, 8) !== "WAVE") {
    throw new WavError("not a RIFF/WAVE file");
  }
  let fmt: { format: number; channels: number; sampleRate: number; bits: number; blockAlign: number } | undefined;
  let data: { start: number; length: number; declared: number } | undefined;
  let pos = 12;
  while (pos + 8 <= bytes.byteLength) {
    const id = tag(view, pos);
    const size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    const available = Math.min(size, bytes.byteLength - body);
    if (id === "fmt ") {
      if (available < 16) throw new WavError("fmt chunk too short");
      let format = view.getUint16(body, true);
      const channels = view.getUint16(body + 2, true);
      const sampleRate = view.getUint32(body + 4, true);
      const blockAlign = view.getUint16(body + 12, true);
      const bits = view.getUint16(body + 14, true);
      if (format === EXTENSIBLE) {
        if (available < 26) throw new WavError("WAVE_FORMAT_EXTENSIBLE fmt chunk too short");
        format = view.getUint16(body + 24, true); // first two bytes of the subformat GUID
      }
      fmt = { format, channels, sampleRate, bits, blockAlign };
    } else if (id === "data") {
      data = { start: body, length: available, declared: size };
      break;
    }
    pos = body + size + (size % 2); // chunks are word aligned
  }
  if (!fmt) throw new WavError("no fmt chunk");
  if (!data) throw new WavError("no data chunk");
  const { format, channels, sampleRate, bits, blockAlign } = fmt;
  if (channels < 1) throw new WavError("zero channels");
  if (sampleRate < 1) throw new WavError("zero sample rate");
  const bytesPerSample = bits / 8;
  const supported =
    (format === PCM && [8, 16, 24, 32].includes(bits)) || (format === FLOAT && [32, 64].includes(bits));
  if (!supported) throw new WavError(`unsupported WAV encoding (format ${format}, ${bits} bits)`);
  if (blockAlign !== bytesPerSample * channels) throw new WavError("inconsistent block align");
  const missing = data.start + data.declared - bytes.byteLength;
  if (!STREAMING_DATA_SIZES.includes(data.declared) && missing >= blockAlign) {
    const held = Math.floor(data.length / blockAlign) / sampleRate;
    const promised = Math.floor(data.declared / blockAlign) / sampleRate;
    throw new WavError(
      `truncated: the header promises ${promised.toFixed(2)} s of audio, the file holds ${held.toFixed(2)} s`,
    );
  }
  const frames = Math.floor(data.length / blockAlign);
  const out = new Float32Array(frames);
  const read = (at: number): number => {
    if (format === FLOAT) return bits === 32 ? view.getFloat32(at, true) : view.getFloat64(at, true);
    switch (bits) {
      case 8:
        return (view.getUint8(at) - 128) / 128;
      case 16:
        return view.getInt16(at, true) / 32768;
      case 24: {
        const v = view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16);
        return v / 8388608;
      }
      default:
        return view.getInt32(at, true) / 2147483648;
    }
  };
  let at = data.start;
  for (let i = 0; i < frames; i++) {
    if (channels === 1) {
      out[i] = read(at);
    } else {
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += read(at + c * bytesPerSample);
      out[i] = sum / channels;
    }
    at += blockAlign;
  }
  return { sampleRate, channels, samples: out };
}
