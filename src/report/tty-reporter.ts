// For a terminal: one ora spinner with the phase, the current target, the provider images done
// and the time the run has taken, ticking each second. --verbose prints Earthly's own lines above it.
import type { ChalkInstance } from "chalk";
import ora, { type Ora } from "ora";
import type { BuildEvent, BuildSummary, Reporter } from "../earthly/events.js";
import type { StreamName } from "../earthly/runner.js";
import { killingMessage, Progress, stoppingMessage } from "./progress.js";
import { renderSummary } from "./summary.js";
import { paintFor } from "./style.js";

export class TtyReporter implements Reporter {
  private readonly spinner: Ora;
  private readonly paint: ChalkInstance;
  private readonly progress: Progress;
  private readonly clock: NodeJS.Timeout;
  private stopped = false;
  readonly rawOutput: boolean;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly verbose: boolean,
    startedAt: number = Date.now(),
  ) {
    this.paint = paintFor(out);
    this.progress = new Progress(startedAt);
    // Earthly's colours are for a terminal: --verbose shows its bytes as they came, unless colour is off.
    this.rawOutput = verbose && this.paint.level > 0;
    // discardStdin off: ora would otherwise take over stdin and turn Ctrl-C into its own handling.
    // isEnabled: reporter.ts chose this terminal already (ora would turn itself off under CI=true).
    // color off: ora's chalk decides by stdout and ignores NO_COLOR; the frames are painted here.
    this.spinner = ora({ stream: out, discardStdin: false, isEnabled: true, color: false, text: "starting Earthly" });
    const { frames, interval } = this.spinner.spinner;
    this.spinner.spinner = { frames: frames.map((frame) => this.paint.cyan(frame)), ...(interval !== undefined ? { interval } : {}) };
    this.clock = setInterval(() => this.render(), 1000);
    this.clock.unref();
  }

  private render(): void {
    const { phase, rest } = this.progress.parts();
    const dim = this.paint.dim;
    this.spinner.text = [this.paint.bold(phase), ...rest, dim(this.progress.elapsed())].join(dim(" · "));
  }

  private print(text: string): void {
    if (this.spinner.isSpinning) {
      this.spinner.clear();
      this.out.write(text + "\n");
      this.spinner.render();
    } else {
      this.out.write(text + "\n");
    }
  }

  event(event: BuildEvent): void {
    this.progress.apply(event);
    switch (event.type) {
      case "start":
        this.print(`${this.paint.cyan("canvos")} ${event.command}: Earthly ${event.target} ${this.paint.dim(`(log: ${event.logPath})`)}`);
        if (!this.stopped) this.spinner.start();
        break;
      case "warning":
        this.print(this.paint.yellow(`warning: ${event.message}`));
        break;
      case "stopping":
        this.print(this.paint.yellow(`canvos: ${stoppingMessage(event.signal, event.timeoutMs)}`));
        break;
      case "killing":
        this.print(this.paint.yellow(`canvos: ${killingMessage(event.by, event.timeoutMs)}`));
        break;
      default:
        break;
    }
    this.render();
  }

  output(_stream: StreamName, raw: Buffer, clean: Buffer): Promise<void> | undefined {
    const bytes = this.rawOutput ? raw : clean;
    if (!this.verbose || bytes.length === 0) return undefined;
    // One clear and redraw of the spinner per run of lines, not per line.
    const spinning = this.spinner.isSpinning;
    if (spinning) this.spinner.clear();
    const flushed = this.out.write(bytes);
    if (spinning) this.spinner.render();
    if (flushed) return undefined;
    return new Promise((resolve) => this.out.once("drain", resolve));
  }

  summary(summary: BuildSummary): void {
    this.stop();
    this.out.write(renderSummary(summary, this.paint));
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.clock);
    this.spinner.stop();
  }
}
