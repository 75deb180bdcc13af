// Colour: one rule for every line canvos prints, stdout and stderr, the spinner included.
//   NO_COLOR (non-empty)    off, even with FORCE_COLOR (https://no-color.org)
//   FORCE_COLOR=0 / false   off;  FORCE_COLOR=1..3 (or empty, or true): on at that chalk level
//   neither                 on where that stream is a terminal (TERM not dumb), as git and ls do
// chalk's own detection (supports-color) ignores NO_COLOR, so chalk is told the level instead of
// finding it; ora gets its frames painted here rather than colouring them with chalk's defaults.
import { Chalk, type ChalkInstance, type ColorSupportLevel } from "chalk";

export function colourLevel(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): ColorSupportLevel {
  const no = env["NO_COLOR"];
  if (no !== undefined && no !== "") return 0;
  const force = env["FORCE_COLOR"];
  if (force !== undefined) {
    if (force === "0" || force === "false") return 0;
    const level = Number.parseInt(force, 10);
    return level === 2 || level === 3 ? level : 1;
  }
  return stream.isTTY === true && env["TERM"] !== "dumb" ? 1 : 0;
}

/** The paint for lines written to `stream`. */
export const paintFor = (stream: { isTTY?: boolean }): ChalkInstance => new Chalk({ level: colourLevel(stream) });

/** For stderr: progress, problems, errors, the summary. */
export const style: ChalkInstance = paintFor(process.stderr);
/** For what goes to stdout: the validate table, doctor's report, the version matrix. */
export const stdoutStyle: ChalkInstance = paintFor(process.stdout);
