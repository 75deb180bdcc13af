// Splitting Earthfile text into logical lines and words. Earthly's own grammar is richer; this
// covers what Earthfiles canvos ships and users edit actually contain.

export interface LogicalLine {
  /** The joined text, trimmed; continuation backslashes removed. */
  text: string;
  /** 1-based line of the first physical line. */
  line: number;
  /** Whether the first physical line starts with whitespace (a recipe line). */
  indented: boolean;
}

/** Joins `\` continuations, drops blank lines and `#` comment lines (also inside continuations). */
export function logicalLines(source: string): LogicalLine[] {
  const physical = source.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
  const out: LogicalLine[] = [];
  let current: LogicalLine | undefined;
  for (let i = 0; i < physical.length; i++) {
    const raw = physical[i] ?? "";
    const trimmed = raw.trim();
    if (current === undefined) {
      if (trimmed === "" || trimmed.startsWith("#")) continue;
      current = { text: "", line: i + 1, indented: /^\s/.test(raw) };
    } else if (trimmed.startsWith("#")) {
      // A comment between continuation lines is not part of the command (as in Dockerfiles).
      continue;
    }
    const continued = /\\\s*$/.test(raw) && !/\\\\\s*$/.test(raw);
    const piece = continued ? trimmed.replace(/\\\s*$/, "").trimEnd() : trimmed;
    current.text = current.text === "" ? piece : piece === "" ? current.text : `${current.text} ${piece}`;
    if (!continued) {
      out.push(current);
      current = undefined;
    }
  }
  // A file ending in a continuation still yields its last command.
  if (current !== undefined && current.text !== "") out.push(current);
  return out;
}

/**
 * Shell-like words: whitespace separates, quotes group (and are removed), `$(...)` and a leading
 * `(...)` (COPY's `(+target/artifact --arg=x)`) stay one word with their text as written.
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? "";
    if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      const stop = end === -1 ? text.length : end;
      word += text.slice(i + 1, stop);
      i = stop + 1;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && (text[i + 1] === '"' || text[i + 1] === "\\")) i++;
        word += text[i] ?? "";
        i++;
      }
      i++;
    } else if ((c === "$" && text[i + 1] === "(") || (c === "(" && word === "")) {
      const start = i;
      i = matchParen(text, c === "$" ? i + 1 : i);
      word += text.slice(start, i);
    } else if (c === "\\" && i + 1 < text.length) {
      word += text[i + 1] ?? "";
      i += 2;
    } else {
      word += c;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Index just past the `)` matching the `(` at `open`, or the end of the text. */
function matchParen(text: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"') i++;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === "(") depth++;
    else if (c === ")") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return text.length;
}

/** Removes one pair of matching surrounding quotes. */
export function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) return v.slice(1, -1);
  return v;
}

/** Flags of BUILD/FROM/COPY that take the next word as their value when written without `=`. */
export const VALUED_FLAGS: ReadonlySet<string> = new Set(["--platform", "--build-arg", "--chmod", "--chown", "--target", "-f"]);

/** Flags before the first plain word; valued flags written `--flag value` become `--flag=value`. */
export function flagWords(words: readonly string[]): { flags: string[]; rest: string[] } {
  const flags: string[] = [];
  let i = 0;
  while (i < words.length) {
    const word = words[i] ?? "";
    if (!word.startsWith("-") || word === "-" || word === "--") break;
    if (!word.includes("=") && VALUED_FLAGS.has(word) && i + 1 < words.length) {
      flags.push(`${word}=${words[i + 1] ?? ""}`);
      i += 2;
    } else {
      flags.push(word);
      i++;
    }
  }
  if (words[i] === "--") i++;
  return { flags, rest: words.slice(i) };
}

/** `+name`, `./dir+name`, `github.com/x/y+name` are targets; an image has no `+` before a tag. */
export function isTargetRef(ref: string): boolean {
  return /^(\.{0,2}\/?[^\s:+]*)\+[A-Za-z0-9._-]+$/.test(ref) || ref.startsWith("+");
}

