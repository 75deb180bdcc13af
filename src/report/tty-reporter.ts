// For a terminal: one ora spinner with the phase, the current target and the provider images done.
// --verbose prints Earthly's own lines above the spinner.
import ora, { type Ora } from "ora";
import type { BuildEvent, BuildSummary, Reporter } from "../earthly/events.js";
import type { StreamName } from "../earthly/runner.js";
import { renderSummary } from "./summary.js";
import { style } from "./style.js";

export class TtyReporter implements Reporter {
  private readonly spinner: Ora;
  private phase = "starting";
  private target = "";
  private done = 0;
  private total = 0;
  private stopped = false;
  readonly rawOutput: boolean;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly verbose: boolean,
  ) {
    // Earthly's colours are for a terminal: --verbose shows its bytes as they came.
    this.rawOutput = verbose;
    // discardStdin off: ora would otherwise take over stdin and turn Ctrl-C into its own handling.
    this.spinner = ora({ stream: out, discardStdin: false, text: "starting Earthly" });
  }

  private render(): void {
    const parts = [style.bold(this.phase)];
    if (this.target !== "") parts.push(this.target);
    if (this.total > 0) parts.push(`provider images ${this.done}/${this.total}`);
    this.spinner.text = parts.join(style.dim(" · "));
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
    switch (event.type) {
      case "start":
        this.total = event.providerImages;
        this.print(`${style.cyan("canvos")} ${event.command}: Earthly ${event.target} ${style.dim(`(log: ${event.logPath})`)}`);
        if (!this.stopped) this.spinner.start();
        this.render();
        break;
      case "warning":
        this.print(style.yellow(`warning: ${event.message}`));
        break;
      case "phase":
        this.phase = event.phase;
        this.render();
        break;
      case "target":
        this.target = event.target;
        this.render();
        break;
      case "image":
        this.done = event.done;
        this.total = event.total;
        this.render();
        break;
      case "stopping":
        this.phase = `stopping (${event.signal})`;
        this.target = "waiting for Earthly to clean up";
        this.render();
        break;
      case "verifying":
        this.phase = "checking outputs";
        this.target = "";
        this.render();
        break;
      case "booting":
        this.phase = "booting the ISO in QEMU";
        this.target = event.iso;
        this.render();
        break;
    }
  }

  output(_stream: StreamName, raw: Buffer, _clean: Buffer): Promise<void> | undefined {
    if (!this.verbose || raw.length === 0) return undefined;
    // One clear and redraw of the spinner per run of lines, not per line.
    const spinning = this.spinner.isSpinning;
    if (spinning) this.spinner.clear();
    const flushed = this.out.write(raw);
    if (spinning) this.spinner.render();
    if (flushed) return undefined;
    return new Promise((resolve) => this.out.once("drain", resolve));
  }

  summary(summary: BuildSummary): void {
    this.stop();
    this.out.write(renderSummary(summary, style));
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.spinner.stop();
  }
}
