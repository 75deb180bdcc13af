// Reads an Earthly `.arg` file the way Earthly's godotenv does, but keeps the line of every entry
// and reports malformed lines instead of skipping them. dotenv is not used: it drops line numbers,
// accepts malformed lines silently, and treats `a#b` as a comment where godotenv does not.
import type { Problem } from "../errors.js";

export interface ArgEntry {
  key: string;
  /** The value after unquoting, before `$VAR` expansion. */
  raw: string;
  /** Single-quoted values are literal: godotenv does not expand them. */
  expand: boolean;
  line: number;
}

export interface ParsedArgFile {
  entries: ArgEntry[];
  problems: Problem[];
}

/** An arg file holds a few dozen lines; anything this large is the wrong file. */
export const MAX_ARG_FILE_BYTES = 1024 * 1024;

const KEY = /^[A-Za-z_][A-Za-z0-9_.]*$/;

export function sizeProblem(size: number, file: string): Problem | undefined {
  if (size <= MAX_ARG_FILE_BYTES) return undefined;
  const mb = (size / (1024 * 1024)).toFixed(1);
  return { where: file, severity: "error", message: `the file is ${mb} MiB; an arg file is a list of KEY=value lines (limit 1 MiB). Is this the right file?` };
}

export function decodeArgFile(bytes: Uint8Array, file: string): { text: string } | { problem: Problem } {
  const tooLarge = sizeProblem(bytes.length, file);
  if (tooLarge) return { problem: tooLarge };
  if (bytes.includes(0)) {
    return { problem: { where: file, severity: "error", message: "this is not a text file (it contains NUL bytes)" } };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { problem: { where: file, severity: "error", message: "this is not a UTF-8 text file" } };
  }
  return { text: text.startsWith("\uFEFF") ? text.slice(1) : text };
}

/**
 * A value as godotenv (Earthly's arg-file reader) reads it back exactly: single quotes keep it
 * literal; a value holding a `'` or a line break goes in double quotes with \\ \" \$ \n \r escaped.
 */
export function godotenvQuote(value: string): string {
  if (!value.includes("'") && !/[\r\n]/.test(value)) return `'${value}'`;
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`).replace(/\n/g, "\\n").replace(/\r/g, "\\r")}"`;
}

export function parseArgText(text: string, file: string): ParsedArgFile {
  const lines = text.split(/\r\n|\r|\n/);
  const entries: ArgEntry[] = [];
  const problems: Problem[] = [];
  const error = (line: number, message: string) => problems.push({ where: `${file}:${line}`, severity: "error", message });

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let rest = (lines[i] ?? "").trim();
    if (rest === "" || rest.startsWith("#")) continue;
    if (/^export\s/.test(rest)) rest = rest.slice(6).trimStart();

    const eq = rest.search(/[=:]/);
    const keyPart = (eq === -1 ? rest : rest.slice(0, eq)).trim();
    if (eq === -1 || (rest[eq] === ":" && !/^:\s/.test(rest.slice(eq)))) {
      error(lineNo, `expected KEY=value${lineStart(rest)}`);
      continue;
    }
    if (!KEY.test(keyPart)) {
      error(lineNo, `the text before the = is not a valid name (letters, digits and _; not starting with a digit)${lineStart(rest)}`);
      continue;
    }
    let value = rest.slice(eq + 1).trimStart();
    const quote = value[0];
    if (quote === '"' || quote === "'") {
      // A quoted value may run over several lines, as godotenv allows.
      let body = value.slice(1);
      let close = findClosingQuote(body, quote);
      let j = i;
      while (close === -1 && j + 1 < lines.length) {
        j++;
        body += "\n" + (lines[j] ?? "");
        close = findClosingQuote(body, quote);
      }
      if (close === -1) {
        error(lineNo, `${keyPart}: unterminated ${quote === '"' ? "double" : "single"} quote`);
        break; // everything after it belongs to the broken value
      }
      const after = body.slice(close + 1).trim();
      if (after !== "" && !after.startsWith("#")) {
        error(j + 1, `${keyPart}: unexpected text after the closing quote (not shown: it may be part of a secret)`);
      }
      const inner = body.slice(0, close);
      entries.push({ key: keyPart, raw: quote === '"' ? unescapeDouble(inner) : inner, expand: quote === '"', line: lineNo });
      i = j;
      continue;
    }
    // Unquoted: a `#` starts a comment only after white space, as in godotenv.
    const comment = value.search(/\s#/);
    if (comment !== -1) value = value.slice(0, comment);
    entries.push({ key: keyPart, raw: value.trim(), expand: true, line: lineNo });
  }
  return { entries, problems };
}

function findClosingQuote(body: string, quote: string): number {
  for (let k = 0; k < body.length; k++) {
    const ch = body[k];
    if (ch === "\\" && quote === '"') {
      k++;
      continue;
    }
    if (ch === quote) return k;
  }
  return -1;
}

function unescapeDouble(s: string): string {
  return s.replace(/\\([\\"nrt$])/g, (_m, c: string) => {
    switch (c) {
      case "n":
        return "\n";
      case "r":
        return "\r";
      case "t":
        return "\t";
      case "$":
        return "\u0000$"; // keep a literal `$` out of expansion; removed in expandValue
      default:
        return c;
    }
  });
}

export interface Expansion {
  value: string;
  /** Names referenced but defined nowhere. */
  missing: string[];
  /** Every name referenced that had a value. */
  used: string[];
  /** The expansion outgrew its budget: `value` is cut short and must not be used. */
  tooLarge: boolean;
}

/** What one value may expand to, and all of an arg file's values together (`$A$A` chains double each line). */
export const MAX_EXPANDED_VALUE = 64 * 1024;
export const MAX_EXPANDED_TOTAL = 4 * 1024 * 1024;

/** The room left for expanded text in one arg file; shared by all its values. */
export interface ExpansionBudget {
  remaining: number;
}

export const expansionBudget = (): ExpansionBudget => ({ remaining: MAX_EXPANDED_TOTAL });

/**
 * `$VAR` / `${VAR}` from `lookup` (earlier keys, then the environment). Linear in the value's
 * length: expanded text is never expanded again, so self-references cannot loop; and bounded:
 * past MAX_EXPANDED_VALUE, or past what `budget` has left, the expansion stops (`tooLarge`).
 */
export function expandValue(raw: string, lookup: (name: string) => string | undefined, budget?: ExpansionBudget): Expansion {
  const missing: string[] = [];
  const used: string[] = [];
  // The text as written is bounded by the file's size; what expansion adds is what is limited.
  const limit = Math.max(raw.length, Math.min(MAX_EXPANDED_VALUE, raw.length + (budget?.remaining ?? MAX_EXPANDED_VALUE)));
  const parts: string[] = [];
  let length = 0;
  let tooLarge = false;
  const push = (text: string): void => {
    if (tooLarge) return;
    if (length + text.length > limit) {
      tooLarge = true;
      return;
    }
    parts.push(text);
    length += text.length;
  };
  const pattern = /\u0000\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;
  let from = 0;
  for (let m = pattern.exec(raw); m !== null && !tooLarge; m = pattern.exec(raw)) {
    push(raw.slice(from, m.index));
    from = m.index + m[0].length;
    if (m[0] === "\u0000$") {
      push("$");
      continue;
    }
    const name = (m[1] ?? m[2]) as string;
    const found = lookup(name);
    if (found === undefined) missing.push(name);
    else {
      used.push(name);
      push(found);
    }
  }
  push(raw.slice(from));
  if (budget) budget.remaining -= Math.max(0, length - raw.length);
  return { value: tooLarge ? "" : parts.join(""), missing, used, tooLarge };
}

/**
 * What an error may say about a line that is not KEY=value: such a line may be a credential (a
 * token pasted in, a credentials file given as the arg file), so its text is never quoted; only a
 * leading word that is a plausible parameter name followed by more text (`ARCH amd64`) is named.
 */
function lineStart(rest: string): string {
  const word = /^([A-Za-z_][A-Za-z0-9_]{0,39})(?=[\s:])/.exec(rest)?.[1];
  const named = word !== undefined && !looksLikeCredential(word) ? `; the line starts with ${word}` : "";
  return `${named} (the line is not shown: it may hold a secret)`;
}

/** A word shaped like a token rather than a name: a known token prefix, or long and mixing cases and digits. */
export function looksLikeCredential(word: string): boolean {
  if (/^(gh[pousr]_|github_pat_|glpat-|xox[abpr]-|sk-|AKIA|ASIA|eyJ|AIza|ya29\.|dckr_pat_)/.test(word)) return true;
  if (word.length < 16) return false;
  return /[a-z]/.test(word) && /[A-Z]/.test(word) && /[0-9]/.test(word);
}
