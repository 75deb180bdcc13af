// For CI, pipes and tests: one plain line per step, no spinner; every `intervalMs` a line saying
// what runs and for how long, so a long build in CI is never silent. Colour as style.ts decides.
import type { ChalkInstance } from "chalk";
import type { BuildEvent, BuildSummary, Reporter } from "../earthly/events.js";
import type { StreamName } from "../earthly/runner.js";
import { annotation, annotationsWanted } from "./annotations.js";
import { killingMessage, Progress, stoppingMessage } from "./progress.js";
import { paintFor } from "./style.js";
import { renderSummary } from "./summary.js";

export interface PlainOptions {
  /** When the run started (ms since the epoch): the clock of the progress lines. */
  startedAt?: number;
  intervalMs?: number;
}

export class PlainReporter implements Reporter {
  readonly rawOutput = false;
  private readonly progress: Progress;
  private readonly ticker: NodeJS.Timeout | undefined;
  private readonly paint: ChalkInstance;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly verbose: boolean,
    options: PlainOptions = {},
  ) {
    this.paint = paintFor(out as { isTTY?: boolean });
    this.progress = new Progress(options.startedAt ?? Date.now());
    if (options.intervalMs !== undefined) {
      this.ticker = setInterval(() => this.say(`running for ${this.progress.elapsed()}: ${this.describe()}`), options.intervalMs);
      // The clock never keeps canvos alive.
      this.ticker.unref();
    }
  }

  private say(text: string): void {
    this.out.write(`${this.paint.cyan("canvos:")} ${text}\n`);
  }

  private describe(): string {
    const { phase, rest } = this.progress.parts();
    return [this.paint.bold(phase), ...rest].join(this.paint.dim(" · "));
  }

  event(event: BuildEvent): void {
    this.progress.apply(event);
    switch (event.type) {
      case "start":
        this.say(`${event.command}: running Earthly ${event.target}${event.providerImages > 0 ? ` (${event.providerImages} provider image${event.providerImages === 1 ? "" : "s"})` : ""}; ${this.paint.dim(`log: ${event.logPath}`)}`);
        break;
      case "warning":
        this.say(this.paint.yellow(`warning: ${event.message}`));
        if (annotationsWanted()) this.out.write(`${annotation("warning", event.message, { title: "canvos" })}\n`);
        break;
      case "phase":
        this.say(`phase: ${this.paint.bold(event.phase)}`);
        break;
      case "target":
        if (!this.verbose) this.say(`target: ${event.target}`);
        break;
      case "image":
        this.say(`image ${event.done}/${event.total} done: ${event.ref}`);
        break;
      case "stopping":
        this.say(this.paint.yellow(stoppingMessage(event.signal, event.timeoutMs)));
        break;
      case "killing":
        this.say(this.paint.yellow(killingMessage(event.by, event.timeoutMs)));
        break;
      case "verifying":
        this.say("checking the outputs");
        break;
      case "booting":
        this.say(`booting ${event.iso} in QEMU (waiting up to ${event.timeoutSeconds} s for the Linux kernel's banner)`);
        break;
    }
  }

  output(_stream: StreamName, _raw: Buffer, clean: Buffer): Promise<void> | undefined {
    if (!this.verbose || clean.length === 0) return undefined;
    // The bytes as the log has them, in one write per run of lines.
    if (this.out.write(clean)) return undefined;
    return new Promise((resolve) => this.out.once("drain", resolve));
  }

  summary(summary: BuildSummary): void {
    this.stop();
    this.out.write(renderSummary(summary, this.paint));
  }

  stop(): void {
    clearInterval(this.ticker);
  }
}
