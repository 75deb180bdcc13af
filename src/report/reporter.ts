// Picks the reporter: a spinner on a terminal, plain lines otherwise (CI, pipes, tests).
import type { Reporter } from "../earthly/events.js";
import { PlainReporter } from "./plain-reporter.js";
import { TtyReporter } from "./tty-reporter.js";

export function createReporter(options: { verbose: boolean; stderr?: NodeJS.WriteStream }): Reporter {
  const stderr = options.stderr ?? process.stderr;
  // A terminal that reports no width (a pty nobody sized) would make the spinner's redraw loop forever.
  const usableTerminal = stderr.isTTY && process.env["TERM"] !== "dumb" && (stderr.columns ?? 0) > 0;
  return usableTerminal ? new TtyReporter(stderr, options.verbose) : new PlainReporter(stderr, options.verbose);
}
