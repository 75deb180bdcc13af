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
      error(lineNo, `expected KEY=value, found ${JSON.stringify(truncate(rest))}`);
      continue;
    }
    if (!KEY.test(keyPart)) {
      error(lineNo, `${JSON.stringify(truncate(keyPart))} is not a valid name (letters, digits and _; not starting with a digit)`);
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
        error(j + 1, `${keyPart}: unexpected text after the closing quote: ${JSON.stringify(truncate(after))}`);
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
}

/**
 * `$VAR` / `${VAR}` from `lookup` (earlier keys, then the environment). Linear in the value's
 * length: expanded text is never expanded again, so self-references and long chains cannot loop.
 */
export function expandValue(raw: string, lookup: (name: string) => string | undefined): Expansion {
  const missing: string[] = [];
  const value = raw.replace(/\u0000\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, braced: string | undefined, bare: string | undefined) => {
    if (match === "\u0000$") return "$";
    const name = (braced ?? bare) as string;
    const found = lookup(name);
    if (found === undefined) {
      missing.push(name);
      return "";
    }
    return found;
  });
  return { value, missing };
}

function truncate(s: string, max = 60): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
