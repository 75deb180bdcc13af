// Picks the reporter: a spinner on a terminal, plain lines otherwise (CI, pipes, tests).
import type { Reporter } from "../earthly/events.js";
import { PlainReporter } from "./plain-reporter.js";

// A terminal that reports no width (a pty nobody sized) would make the spinner's redraw loop forever.
const usableTerminal = (stream: NodeJS.WriteStream): boolean => Boolean(stream.isTTY) && process.env["TERM"] !== "dumb" && (stream.columns ?? 0) > 0;

// ora and its ~25 dependencies cost more start-up than the rest of a build's code (bench/RESULTS.md):
// they load only when the stream canvos reports on can show a spinner.
export async function createReporter(options: { verbose: boolean; stderr?: NodeJS.WriteStream }): Promise<Reporter> {
  const stderr = options.stderr ?? process.stderr;
  if (!usableTerminal(stderr)) return new PlainReporter(stderr, options.verbose);
  const { TtyReporter } = await import("./tty-reporter.js");
  return new TtyReporter(stderr, options.verbose);
}
