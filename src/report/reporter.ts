// Picks the reporter: a spinner on a terminal, plain lines otherwise (CI, pipes, tests).
import type { Reporter } from "../earthly/events.js";
import { PlainReporter } from "./plain-reporter.js";

// A terminal that reports no width (a pty nobody sized) would make the spinner's redraw loop forever.
const usableTerminal = (stream: NodeJS.WriteStream): boolean => Boolean(stream.isTTY) && process.env["TERM"] !== "dumb" && (stream.columns ?? 0) > 0;

// ora and its ~25 dependencies cost more start-up than the rest of a build's code (bench/RESULTS.md):
// they load only when process.stderr, where canvos reports, can show a spinner. Decided here, at
// load, so that createReporter stays synchronous for its callers.
const tty = usableTerminal(process.stderr) ? await import("./tty-reporter.js") : undefined;

export function createReporter(options: { verbose: boolean; stderr?: NodeJS.WriteStream }): Reporter {
  const stderr = options.stderr ?? process.stderr;
  // A terminal stream other than process.stderr while process.stderr is none (no caller does this)
  // gets plain lines: correct output, only without the spinner.
  return tty && usableTerminal(stderr) ? new tty.TtyReporter(stderr, options.verbose) : new PlainReporter(stderr, options.verbose);
}
