// What a running build is doing, as both reporters say it: the phase, the current target, the
// provider images done, how long the run has taken, and while Earthly stops, how long it has left.
import type { BuildEvent } from "../earthly/events.js";
import type { KilledBy } from "../earthly/runner.js";
import { formatDuration } from "./summary.js";

/**
 * Without a terminal, a line saying what runs comes this often (seconds in
 * CANVOS_PROGRESS_INTERVAL): a 40-minute build in CI shows it is alive.
 */
export function progressIntervalMs(env: NodeJS.ProcessEnv): number {
  const seconds = Number(env["CANVOS_PROGRESS_INTERVAL"]);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 30_000;
}

/** How to stop Earthly at once: the signal that came, again. */
const again = (signal: NodeJS.Signals): string => (signal === "SIGINT" ? "Ctrl-C again" : `another ${signal}`);

export function stoppingMessage(signal: NodeJS.Signals, timeoutMs: number): string {
  return `${signal} received: stopping Earthly (waiting up to ${formatDuration(timeoutMs, true)} for its clean-up; ${again(signal)} kills it at once)`;
}

export function killingMessage(by: KilledBy, timeoutMs: number): string {
  return by === "timeout" ? `Earthly did not stop within ${formatDuration(timeoutMs, true)}: killing it` : `second signal (${by}): killing Earthly now`;
}

/** For the run's end line: `interrupted by SIGINT after 3 min 2 s; Earthly ...`. */
export function killedWords(by: KilledBy, timeoutMs: number): string {
  return by === "timeout" ? `Earthly did not stop within ${formatDuration(timeoutMs, true)} and was killed` : `Earthly was killed at the second signal (${by})`;
}

export class Progress {
  private phase = "starting";
  private target = "";
  private done = 0;
  private total = 0;
  /** While Earthly cleans up after a signal: when canvos kills it. */
  private killAt: number | undefined;

  constructor(
    private readonly startedAt: number,
    private readonly now: () => number = Date.now,
  ) {}

  apply(event: BuildEvent): void {
    switch (event.type) {
      case "start":
        this.total = event.providerImages;
        break;
      case "phase":
        this.phase = event.phase;
        break;
      case "target":
        this.target = event.target;
        break;
      case "image":
        this.done = event.done;
        this.total = event.total;
        break;
      case "stopping":
        this.phase = `stopping (${event.signal})`;
        this.target = "waiting for Earthly to clean up";
        this.killAt = this.now() + event.timeoutMs;
        break;
      case "killing":
        this.phase = "killing Earthly";
        this.target = "";
        this.killAt = undefined;
        break;
      case "verifying":
        this.phase = "checking outputs";
        this.target = "";
        break;
      case "booting":
        this.phase = "booting the ISO in QEMU";
        this.target = event.iso;
        break;
      case "warning":
        break;
    }
  }

  /** The phase first (a reporter may set it apart), then what else is known. */
  parts(): { phase: string; rest: string[] } {
    const rest: string[] = [];
    if (this.target !== "") rest.push(this.target);
    if (this.total > 0) rest.push(`provider images ${this.done}/${this.total}`);
    if (this.killAt !== undefined) rest.push(`${formatDuration(Math.max(0, this.killAt - this.now()), true)} left`);
    return { phase: this.phase, rest };
  }

  elapsed(): string {
    return formatDuration(this.now() - this.startedAt, true);
  }
}
