// Text from outside canvos (values, paths, Earthly's lines, a registry's answers) inside canvos's own
// lines: control characters escaped, so a value cannot end a line, start a forged one, move the
// cursor or recolour the terminal; quoted excerpts bounded, so a huge value cannot flood the output.

// C0 and C1 controls, DEL, the line and paragraph separators, and the bidirectional overrides that
// make a terminal or an editor show text in another order than it is (Trojan Source).
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeOne(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const code = ch.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** The text with every control character written as an escape (`\n`, `\x1b`, `\u202e`); anything else as it is. */
export function printable(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}

/** Longest excerpt of a value quoted in a message. */
export const MAX_EXCERPT = 80;

/**
 * A value for a message: in double quotes, control characters and `"` escaped, cut at `max`
 * characters with the full length said, so the excerpt is bounded whatever the value.
 */
export function quote(value: string, max = MAX_EXCERPT): string {
  let shown = value;
  let note = "";
  if (value.length > max) {
    shown = value.slice(0, max);
    // Never half a surrogate pair.
    if (/[\ud800-\udbff]$/.test(shown)) shown = shown.slice(0, -1);
    note = `… (${value.length} characters)`;
  }
  return `"${printable(shown.replace(/\\/g, "\\\\").replace(/"/g, '\\"'))}"${note}`;
}

/**
 * JSON for stdout, with the characters JSON.stringify leaves raw but a terminal acts on (C1
 * controls, DEL, line separators, bidi overrides) written as \u escapes: the same data, safe to print.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) + "\n";
}
