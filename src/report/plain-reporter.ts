// For CI, pipes and tests: one plain line per step, no spinner, no colour codes.
import type { BuildEvent, BuildSummary, Reporter } from "../earthly/events.js";
import type { StreamName } from "../earthly/runner.js";
import { annotation, annotationsWanted } from "./annotations.js";
import { noPaint, renderSummary } from "./summary.js";

export class PlainReporter implements Reporter {
  readonly rawOutput = false;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly verbose: boolean,
  ) {}

  private say(text: string): void {
    this.out.write(`canvos: ${text}\n`);
  }

  event(event: BuildEvent): void {
    switch (event.type) {
      case "start":
        this.say(`${event.command}: running Earthly ${event.target}${event.providerImages > 0 ? ` (${event.providerImages} provider image${event.providerImages === 1 ? "" : "s"})` : ""}; log: ${event.logPath}`);
        break;
      case "warning":
        this.say(`warning: ${event.message}`);
        if (annotationsWanted()) this.out.write(`${annotation("warning", event.message, { title: "canvos" })}\n`);
        break;
      case "phase":
        this.say(`phase: ${event.phase}`);
        break;
      case "target":
        if (!this.verbose) this.say(`target: ${event.target}`);
        break;
      case "image":
        this.say(`image ${event.done}/${event.total} done: ${event.ref}`);
        break;
      case "stopping":
        this.say(`${event.signal} received: stopping Earthly (waiting up to ${Math.round(event.timeoutMs / 1000)} s for its clean-up)`);
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
    this.out.write(renderSummary(summary, noPaint));
  }

  stop(): void {}
}
