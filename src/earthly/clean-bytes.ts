// cleanLine (output.ts) for whole runs of lines as bytes: the log and a non-terminal --verbose get
// Earthly's text without colour codes, and each line as a terminal would show it after its last
// lone CR (a progress bar keeps its final state; CRLF is LF). A run without ESC or CR, the usual
// case once colour is off, is returned untouched: no copy, no scan beyond two memchr calls.

const ESC = 0x1b;
const CR = 0x0d;
const LF = 0x0a;
const BEL = 0x07;

/**
 * `lines` are whole lines (each ending in LF, as LineSplitter gives them). With `inPlace` the
 * bytes are rewritten where they are (the caller owns them and keeps no other view); otherwise a
 * copy is made when something must change.
 */
export function cleanLines(lines: Buffer, inPlace: boolean): Buffer {
  const hasEsc = lines.indexOf(ESC) !== -1;
  const hasCr = lines.indexOf(CR) !== -1;
  if (!hasEsc && !hasCr) return lines;
  let buf = inPlace ? lines : Buffer.from(lines);
  if (hasEsc) buf = stripAnsi(buf);
  if (hasCr) buf = applyCarriageReturns(buf);
  return buf;
}

/** The length of the escape sequence at `e` that output.ts's ANSI pattern removes, or 0 (the ESC stays). */
function escapeLength(buf: Buffer, e: number): number {
  const b1 = buf[e + 1];
  if (b1 === undefined) return 0;
  if (b1 === 0x5b) {
    // CSI: parameters 0-?, intermediates space-/, a final byte @-~.
    let i = e + 2;
    let b = buf[i];
    while (b !== undefined && b >= 0x30 && b <= 0x3f) b = buf[++i];
    while (b !== undefined && b >= 0x20 && b <= 0x2f) b = buf[++i];
    return b !== undefined && b >= 0x40 && b <= 0x7e ? i + 1 - e : 0;
  }
  if (b1 === 0x5d) {
    // OSC up to BEL or ESC \ on the same line; unterminated, only "ESC ]" goes (as the pattern's last branch).
    for (let i = e + 2; i < buf.length; i++) {
      const b = buf[i];
      if (b === BEL) return i + 1 - e;
      if (b === ESC) return buf[i + 1] === 0x5c ? i + 2 - e : 2;
      if (b === LF || b === CR) return 2;
    }
    return 2;
  }
  return (b1 >= 0x40 && b1 <= 0x5a) || (b1 >= 0x5c && b1 <= 0x5f) ? 2 : 0;
}

/** Removes escape sequences in place; one memchr per ESC and one memmove per kept run. */
function stripAnsi(buf: Buffer): Buffer {
  let e = buf.indexOf(ESC);
  let w = e === -1 ? buf.length : e;
  let s = w;
  while (e !== -1) {
    const n = escapeLength(buf, e);
    if (n === 0) {
      e = buf.indexOf(ESC, e + 1);
      continue;
    }
    if (e > s) {
      buf.copyWithin(w, s, e);
      w += e - s;
    }
    s = e + n;
    e = buf.indexOf(ESC, s);
  }
  if (buf.length > s) {
    buf.copyWithin(w, s, buf.length);
    w += buf.length - s;
  }
  return buf.subarray(0, w);
}

/** CRLF becomes LF; a lone CR drops what came before it on its line (a terminal would overwrite it). */
function applyCarriageReturns(buf: Buffer): Buffer {
  let w = 0;
  let s = 0;
  let lineStart = 0; // where the current line starts in the output
  let c = buf.indexOf(CR);
  while (c !== -1) {
    const lf = buf.subarray(s, c).lastIndexOf(LF);
    if (lf !== -1) lineStart = w + lf + 1;
    if (c > s) buf.copyWithin(w, s, c);
    w += c - s;
    if (buf[c + 1] !== LF) w = lineStart;
    s = c + 1;
    c = buf.indexOf(CR, s);
  }
  if (buf.length > s) {
    buf.copyWithin(w, s, buf.length);
    w += buf.length - s;
  }
  return buf.subarray(0, w);
}

/**
 * Every occurrence of each value replaced by ****, also where colour codes split it (`hun\x1b[0mter2`
 * shows as hunter2 on a terminal, and as hunter2 in the log once the codes are stripped). The same
 * buffer back when nothing matches.
 */
export function redactBytes(lines: Buffer, values: readonly Buffer[]): Buffer {
  const plain = redactPlain(lines, values);
  return plain.indexOf(ESC) === -1 ? plain : redactThroughEscapes(plain, values);
}

function redactPlain(lines: Buffer, values: readonly Buffer[]): Buffer {
  let out = lines;
  for (const value of values) {
    let at = out.indexOf(value);
    if (at === -1) continue;
    const parts: Buffer[] = [];
    let from = 0;
    while (at !== -1) {
      parts.push(out.subarray(from, at), MASK);
      from = at + value.length;
      at = out.indexOf(value, from);
    }
    parts.push(out.subarray(from));
    out = Buffer.concat(parts);
  }
  return out;
}

/**
 * Matches on the text as shown (escape sequences left out, as stripAnsi removes them), then
 * masks the raw span each match covers, the escape sequences inside it included.
 */
function redactThroughEscapes(raw: Buffer, values: readonly Buffer[]): Buffer {
  const shown = Buffer.allocUnsafe(raw.length);
  const at = new Uint32Array(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; ) {
    if (raw[i] === ESC) {
      const skip = escapeLength(raw, i);
      if (skip > 0) {
        i += skip;
        continue;
      }
    }
    shown[n] = raw[i] as number;
    at[n++] = i++;
  }
  const visible = shown.subarray(0, n);
  const spans: [number, number][] = [];
  for (const value of values) {
    for (let found = visible.indexOf(value); found !== -1; found = visible.indexOf(value, found + value.length)) {
      spans.push([at[found] as number, (at[found + value.length - 1] as number) + 1]);
    }
  }
  if (spans.length === 0) return raw;
  spans.sort((a, b) => a[0] - b[0]);
  const parts: Buffer[] = [];
  let from = 0;
  for (const [start, end] of spans) {
    if (end <= from) continue;
    if (start >= from) parts.push(raw.subarray(from, start), MASK);
    from = end;
  }
  parts.push(raw.subarray(from));
  return Buffer.concat(parts);
}

const MASK = Buffer.from("****");
