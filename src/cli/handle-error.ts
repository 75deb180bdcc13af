// The one place that turns an error into words on stderr and an exit code.
import { isCanvosError, ConfigError, BuildError, type Problem } from "../errors.js";
import { annotation, annotationsWanted, problemAnnotation } from "../report/annotations.js";
import { style } from "../report/style.js";
import { printable } from "../text.js";
import { EXIT } from "./exit-codes.js";

/** One problem, compiler style; in a GitHub workflow followed by its annotation. */
export function formatProblem(problem: Problem): string {
  const label = problem.severity === "error" ? style.red("error") : style.yellow("warning");
  // Values inside messages come from files, flags and the environment: escaped, so none can forge a line.
  const line = `${printable(problem.where)}: ${label}: ${printable(problem.message)}`;
  return annotationsWanted() ? `${line}\n${problemAnnotation(problem)}` : line;
}

export function handleError(error: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (isCanvosError(error)) {
    const lines: string[] = [];
    if (error instanceof ConfigError && error.problems.length > 0) {
      for (const problem of error.problems) lines.push(formatProblem(problem));
      lines.push(style.red(`canvos: ${printable(error.message)}`));
    } else {
      lines.push(style.red(`canvos: ${printable(error.message)}`));
    }
    // Earthly's last lines among them: a build step's output cannot move the cursor or recolour here.
    if (error instanceof BuildError) lines.push(...error.details.map((d) => `  ${printable(d)}`));
    if (error.hint) lines.push(`  ${style.dim("hint:")} ${printable(error.hint)}`);
    // The problems carry their own annotations; any other error gets one, on the Earthfile's line
    // when the build said where it failed.
    if (annotationsWanted() && !(error instanceof ConfigError && error.problems.length > 0)) {
      lines.push(annotation("error", error.hint ? `${error.message}\nhint: ${error.hint}` : error.message, { at: error instanceof BuildError ? error.location : undefined, title: "canvos" }));
    }
    stderr.write(lines.join("\n") + "\n");
    return error.exitCode;
  }
  const debug = Boolean(process.env["CANVOS_DEBUG"]);
  const message = error instanceof Error ? error.message : String(error);
  stderr.write(style.red(`canvos: internal error: ${printable(message)}`) + "\n");
  if (debug && error instanceof Error && error.stack) stderr.write(error.stack + "\n");
  else stderr.write("  This is a bug in canvos. Run again with CANVOS_DEBUG=1 for details and report it.\n");
  return EXIT.internal;
}
