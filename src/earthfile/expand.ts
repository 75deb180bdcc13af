// Evaluating the small part of Earthly's variable language the contract depends on: `$VAR` and
// `${VAR}` (with the shell forms `:-`, `-`, `:+`, `+`), and IF conditions made of `[ ... ]` tests.
import { splitWords, unquote } from "./lexer.js";

export type Values = Readonly<Record<string, string | undefined>>;

/**
 * Expands `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`, `${VAR+word}` (word is
 * expanded too). Unset variables expand to "". `\$` is a literal `$`; `$(...)` is left as is,
 * since only a container can run it.
 */
export function expandTag(expr: string, values: Values): string {
  let out = "";
  let i = 0;
  while (i < expr.length) {
    const c = expr[i];
    if (c === "\\" && expr[i + 1] === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    const next = expr[i + 1];
    if (next === "{") {
      const end = closingBrace(expr, i + 2);
      if (end === -1) {
        out += expr.slice(i);
        break;
      }
      out += expandBraced(expr.slice(i + 2, end), values);
      i = end + 1;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(expr.slice(i + 1))?.[0];
    if (name === undefined) {
      out += c;
      i++;
      continue;
    }
    out += values[name] ?? "";
    i += 1 + name.length;
  }
  return out;
}

function closingBrace(expr: string, from: number): number {
  let depth = 1;
  for (let i = from; i < expr.length; i++) {
    if (expr[i] === "{") depth++;
    else if (expr[i] === "}") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function expandBraced(inner: string, values: Values): string {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])(.*))?$/s.exec(inner);
  if (!match) return "";
  const [, name = "", op, word = ""] = match;
  const value = values[name];
  const set = value !== undefined;
  const nonEmpty = set && value !== "";
  switch (op) {
    case ":-":
      return nonEmpty ? value : expandTag(word, values);
    case "-":
      return set ? value : expandTag(word, values);
    case ":+":
      return nonEmpty ? expandTag(word, values) : "";
    case "+":
      return set ? expandTag(word, values) : "";
    default:
      return value ?? "";
  }
}

/**
 * The truth of an IF condition, or undefined when it is more than canvos can judge without a
 * container. Understood: `[ -z X ]`, `[ -n X ]`, `[ X = Y ]`, `[ X == Y ]`, `[ X != Y ]`,
 * `[ ! ... ]`, `echo X | grep -q WORD`, joined by `&&` and `||` (left to right, as in sh).
 */
export function evaluateCondition(condition: string, values: Values): boolean | undefined {
  const parts = splitLogical(condition);
  let result: boolean | undefined;
  let pending: "&&" | "||" | undefined;
  for (const part of parts) {
    if (part === "&&" || part === "||") {
      pending = part;
      continue;
    }
    if (pending === "&&" && result === false) continue;
    if (pending === "||" && result === true) continue;
    const value = evaluateSimple(part, values);
    if (value === undefined) return undefined;
    result = value;
  }
  return result;
}

/** Splits on unquoted `&&` / `||`, keeping the operators. */
function splitLogical(condition: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quote: string | undefined;
  for (let i = 0; i < condition.length; i++) {
    const c = condition[i] ?? "";
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      current += c;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    const two = condition.slice(i, i + 2);
    if (quote === undefined && (two === "&&" || two === "||")) {
      parts.push(current.trim(), two);
      current = "";
      i++;
      continue;
    }
    current += c;
  }
  parts.push(current.trim());
  return parts;
}

function evaluateSimple(text: string, values: Values): boolean | undefined {
  const grep = /^echo\s+(.+?)\s*\|\s*grep\s+-q\s+(.+)$/.exec(text);
  if (grep) {
    const haystack = expandTag(unquote(grep[1] ?? ""), values);
    return haystack.includes(unquote(grep[2] ?? ""));
  }
  const words = splitWords(text).map((w) => expandTag(w, values));
  // splitWords removed the quotes; expansion happens after, as the shell would do it.
  const rawWords = splitWords(text);
  if (rawWords[0] !== "[" || rawWords[rawWords.length - 1] !== "]") return undefined;
  let test = words.slice(1, -1);
  let negate = false;
  if (test[0] === "!") {
    negate = true;
    test = test.slice(1);
  }
  let result: boolean | undefined;
  if (test.length === 2 && test[0] === "-z") result = (test[1] ?? "") === "";
  else if (test.length === 2 && test[0] === "-n") result = (test[1] ?? "") !== "";
  else if (test.length === 1) result = (test[0] ?? "") !== "";
  else if (test.length === 0) result = false;
  else if (test.length === 3 && (test[1] === "=" || test[1] === "==")) result = test[0] === test[2];
  else if (test.length === 3 && test[1] === "!=") result = test[0] !== test[2];
  if (result === undefined) return undefined;
  return negate ? !result : result;
}
