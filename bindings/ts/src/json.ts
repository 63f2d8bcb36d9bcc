/**
 * A strict JSON parser (RFC 8259) for charts: no duplicate keys, nesting depth at most
 * {@link MAX_DEPTH}, objects as `Map`s in document order. `JSON.parse` cannot report
 * duplicate keys and reorders integer-like keys, so the chart loader uses this instead.
 */

/** A parsed JSON value; objects are Maps so key order and duplicates are visible. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = Map<string, JsonValue>;

/** Containers nested deeper than this are rejected (the root container is depth 1). */
export const MAX_DEPTH = 64;

export class JsonSyntaxError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = "JsonSyntaxError";
    this.offset = offset;
  }
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  fail(message: string, at: number = this.pos): never {
    let line = 1;
    let col = 1;
    for (let i = 0; i < at && i < this.text.length; i++) {
      if (this.text.charCodeAt(i) === 0x0a) {
        line++;
        col = 1;
      } else {
        col++;
      }
    }
    throw new JsonSyntaxError(`${message} at line ${line} column ${col}`, at);
  }

  skipWs(): void {
    while (this.pos < this.text.length && WS.has(this.text.charCodeAt(this.pos))) this.pos++;
  }

  parseDocument(): JsonValue {
    this.skipWs();
    if (this.pos >= this.text.length) this.fail("empty document");
    const value = this.parseValue(0);
    this.skipWs();
    if (this.pos < this.text.length) this.fail("unexpected text after the JSON value");
    return value;
  }

  parseValue(depth: number): JsonValue {
    if (this.pos >= this.text.length) this.fail("unexpected end of input");
    const c = this.text[this.pos];
    switch (c) {
      case "{":
        return this.parseObject(depth + 1);
      case "[":
        return this.parseArray(depth + 1);
      case '"':
        return this.parseString();
      case "t":
        return this.literal("true", true);
      case "f":
        return this.literal("false", false);
      case "n":
        return this.literal("null", null);
      default:
        if (c === "-" || (c >= "0" && c <= "9")) return this.parseNumber();
        return this.fail(`unexpected character ${JSON.stringify(c)}`);
    }
  }

  literal<T extends JsonValue>(word: string, value: T): T {
    if (this.text.startsWith(word, this.pos)) {
      this.pos += word.length;
      return value;
    }
    return this.fail("invalid literal");
  }

  enter(depth: number): void {
    if (depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH}`);
    this.pos++; // the opening bracket
    this.skipWs();
  }

  parseObject(depth: number): JsonObject {
    this.enter(depth);
    const out: JsonObject = new Map();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return out;
    }
    for (;;) {
      if (this.text[this.pos] !== '"') this.fail(this.pos >= this.text.length ? "unexpected end of input" : "expected a string key");
      const keyAt = this.pos;
      const key = this.parseString();
      if (out.has(key)) this.fail(`duplicate key ${JSON.stringify(key)}`, keyAt);
      this.skipWs();
      if (this.text[this.pos] !== ":") this.fail(this.pos >= this.text.length ? "unexpected end of input" : "expected ':'");
      this.pos++;
      this.skipWs();
      out.set(key, this.parseValue(depth));
      this.skipWs();
      const c = this.text[this.pos];
      if (c === ",") {
        this.pos++;
        this.skipWs();
      } else if (c === "}") {
        this.pos++;
        return out;
      } else {
        this.fail(c === undefined ? "unexpected end of input" : "expected ',' or '}'");
      }
    }
  }

  parseArray(depth: number): JsonValue[] {
    this.enter(depth);
    const out: JsonValue[] = [];
    if (this.text[this.pos] === "]") {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.parseValue(depth));
      this.skipWs();
      const c = this.text[this.pos];
      if (c === ",") {
        this.pos++;
        this.skipWs();
      } else if (c === "]") {
        this.pos++;
        return out;
      } else {
        this.fail(c === undefined ? "unexpected end of input" : "expected ',' or ']'");
      }
    }
  }

  parseString(): string {
    const text = this.text;
    let i = this.pos + 1;
    let out = "";
    let runStart = i;
    for (;;) {
      if (i >= text.length) this.fail("unterminated string", i);
      const code = text.charCodeAt(i);
      if (code === 0x22) {
        out += text.slice(runStart, i);
        this.pos = i + 1;
        return out;
      }
      if (code < 0x20) this.fail("control character in a string", i);
      if (code === 0x5c) {
        out += text.slice(runStart, i);
        const e = text[i + 1];
        switch (e) {
          case '"': out += '"'; break;
          case "\\": out += "\\"; break;
          case "/": out += "/"; break;
          case "b": out += "\b"; break;
          case "f": out += "\f"; break;
          case "n": out += "\n"; break;
          case "r": out += "\r"; break;
          case "t": out += "\t"; break;
          case "u": {
            const hex = text.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("invalid \\u escape", i);
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            this.fail(e === undefined ? "unterminated string" : "invalid escape", i);
        }
        i += 2;
        runStart = i;
        continue;
      }
      i++;
    }
  }

  parseNumber(): number {
    const m = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    m.lastIndex = this.pos;
    const found = m.exec(this.text);
    if (!found || found[0] === "-") this.fail("invalid number");
    const end = this.pos + found[0].length;
    const next = this.text[end];
    if (next !== undefined && /[0-9.eE+-]/.test(next)) this.fail("invalid number", end);
    this.pos = end;
    return Number(found[0]);
  }
}

/** Parse strict JSON text. Throws {@link JsonSyntaxError}. */
export function parseJson(text: string): JsonValue {
  return new Parser(text).parseDocument();
}

/** Decode UTF-8 bytes strictly; a byte order mark stays in the text (as U+FEFF). */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    // find the first bad byte for the message
    throw new JsonSyntaxError("not valid UTF-8", firstBadUtf8(bytes));
  }
}

function firstBadUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let n = 0;
    let min = 0;
    if (c < 0x80) { i++; continue; }
    else if (c >= 0xc2 && c <= 0xdf) { n = 1; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { n = 2; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 3; min = 0x10000; }
    else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      if (i + k >= b.length || (b[i + k] & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (b[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return b.length;
}
