// Renders a Validation for people (stderr for problems, stdout for the table) or as JSON.
import type { Validation } from "../config/validate.js";
import { formatProblem } from "../cli/handle-error.js";
import { paintFor } from "./style.js";
import { jsonText, printable } from "../text.js";

export function renderValidation(v: Validation, out: NodeJS.WritableStream, err: NodeJS.WritableStream): void {
  // Each stream coloured by its own lights: `validate > file` keeps the file plain.
  const style = paintFor(out as { isTTY?: boolean });
  const errStyle = paintFor(err as { isTTY?: boolean });
  for (const problem of v.problems) err.write(formatProblem(problem) + "\n");
  if (v.parameters.length > 0) {
    const nameWidth = Math.max(...v.parameters.map((p) => p.name.length));
    const valueWidth = Math.min(60, Math.max(...v.parameters.map((p) => display(p.value).length)));
    out.write(style.bold("Parameters") + (v.argFile ? style.dim(`  (arg file: ${printable(v.argFile)})`) : "") + "\n");
    const fromWidth = Math.max(...v.parameters.map((p) => printable(p.from).length));
    for (const p of v.parameters) {
      // A wrong value is shown as it was given, marked, with what is wrong (the problem list above has its place).
      const mark = p.invalid ? `  ${style.red("invalid:")} ${printable(p.problem ?? "")}` : "";
      const from = p.invalid ? printable(p.from).padEnd(fromWidth) : printable(p.from);
      out.write(`  ${printable(p.name).padEnd(nameWidth)}  ${display(p.value).padEnd(valueWidth)}  ${style.dim(from)}${mark}\n`);
    }
  }
  if (v.files.length > 0) {
    out.write(style.bold("Files") + "\n");
    const roleWidth = Math.max(...v.files.map((f) => f.role.length));
    const pathWidth = Math.max(...v.files.map((f) => f.path.length));
    const markWidth = "invalid".length;
    for (const f of v.files) {
      const mark = f.status === "ok" ? style.green("ok") : f.status === "absent" ? style.dim("absent") : f.status === "warning" ? style.yellow("warning") : style.red("invalid");
      // Padding is computed on the bare word: colour codes have no width.
      const pad = " ".repeat(markWidth - f.status.length);
      out.write(`  ${f.role.padEnd(roleWidth)}  ${printable(f.path).padEnd(pathWidth)}  ${mark}${pad}  ${style.dim(printable(f.detail))}\n`);
    }
  }
  // An invalid configuration ends in an error, whose message is the summary.
  if (v.valid) {
    const warnings = v.problems.length;
    err.write(errStyle.green("configuration valid") + (warnings > 0 ? errStyle.yellow(` (${plural(warnings, "warning")})`) : "") + "\n");
  }
}

export function invalidSummary(v: Validation): string {
  const errors = v.problems.filter((p) => p.severity === "error").length;
  return `${plural(errors, "error")} in the configuration; nothing was built`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function display(value: string): string {
  return value === "" ? '""' : printable(value);
}

export function validationJson(v: Validation): string {
  return jsonText(v);
}
