// Picks the reporter: a spinner on a terminal, plain lines otherwise (CI, pipes, tests).
import type { Reporter } from "../earthly/events.js";
import { PlainReporter } from "./plain-reporter.js";
import { progressIntervalMs } from "./progress.js";
import { printable } from "../text.js";

// A terminal that reports no width (a pty nobody sized) would make the spinner's redraw loop forever.
const usableTerminal = (stream: NodeJS.WriteStream): boolean => Boolean(stream.isTTY) && process.env["TERM"] !== "dumb" && (stream.columns ?? 0) > 0;

// ora and its ~25 dependencies cost more start-up than the rest of a build's code (bench/RESULTS.md):
// they load only when the stream canvos reports on can show a spinner.
export async function createReporter(options: { verbose: boolean; stderr?: NodeJS.WriteStream; startedAt: number; env: NodeJS.ProcessEnv }): Promise<Reporter> {
  const stderr = options.stderr ?? process.stderr;
  if (!usableTerminal(stderr)) return escaping(new PlainReporter(stderr, options.verbose, { startedAt: options.startedAt, intervalMs: progressIntervalMs(options.env) }));
  const { TtyReporter } = await import("./tty-reporter.js");
  return escaping(new TtyReporter(stderr, options.verbose, options.startedAt));
}

/**
 * Every text in an event or the summary (image references, targets, warnings with values from the
 * configuration) escaped before a reporter puts it in a line: no value can forge a line, a
 * workflow command, or a terminal escape. Earthly's own output (`output`) passes as it is.
 */
function escaping(reporter: Reporter): Reporter {
  const clean = <T extends object>(data: T): T =>
    Object.fromEntries(Object.entries(data).map(([key, value]) => [key, typeof value === "string" ? printable(value) : value])) as T;
  return {
    rawOutput: reporter.rawOutput,
    event: (event) => reporter.event(clean(event)),
    output: (stream, raw, cleaned) => reporter.output(stream, raw, cleaned),
    summary: (summary) =>
      reporter.summary({ ...clean(summary), artifacts: summary.artifacts.map(clean), images: summary.images.map(clean) }),
    stop: () => reporter.stop(),
  };
}
