// Reads Earthly's log lines (earthly.md, "Output"). Pure: no I/O, so the unit tests feed it text.
// Lines are cleaned of colour codes and CR first; nothing below depends on either.

export type PhaseName = "Init" | "Build" | "Push Summary" | "Local Output Summary";

export type EarthlyLine =
  | { kind: "phase"; phase: PhaseName; disabled: boolean }
  | { kind: "divider" }
  | { kind: "artifact"; source: string; path: string }
  | { kind: "image"; target: string; ref: string }
  | { kind: "pushed"; target: string; ref: string }
  | { kind: "not-pushed"; ref: string }
  | { kind: "success" }
  | { kind: "failure" }
  | { kind: "error"; message: string }
  | { kind: "target"; target: string; failed: boolean; text: string }
  | { kind: "text"; text: string };

// CSI sequences (colours, cursor moves) and OSC sequences (titles, links).
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

/** The text a reader sees: no colour codes, no CR; a CR inside the line means "overwritten", keep the last part. */
export function cleanLine(raw: string): string {
  let line = raw.replace(ANSI, "");
  if (line.endsWith("\r")) line = line.slice(0, -1);
  const cr = line.lastIndexOf("\r");
  if (cr >= 0) line = line.slice(cr + 1);
  return line;
}

const PHASES: readonly PhaseName[] = ["Local Output Summary", "Push Summary", "Init", "Build"];
// Prefix column: the target right-aligned to 20 columns (longer names are not padded), `*failed*` when it failed.
const TARGET_LINE = /^ *([^\s|]+)( \*failed\*)? \| ?(.*)$/;
const DIVIDER = /^[\u2014\u2013\-=]{20,}$/;

export function parseLine(raw: string): EarthlyLine {
  const line = cleanLine(raw);
  const targetMatch = TARGET_LINE.exec(line);
  if (targetMatch) {
    return { kind: "target", target: targetMatch[1] ?? "", failed: targetMatch[2] !== undefined, text: targetMatch[3] ?? "" };
  }
  const trimmed = line.trim();
  if (DIVIDER.test(trimmed)) return { kind: "divider" };
  if (/^=+ .*SUCCESS.* =+$/.test(trimmed)) return { kind: "success" };
  if (/^=+ .*FAILURE.* =+$/.test(trimmed)) return { kind: "failure" };
  for (const phase of PHASES) {
    if (trimmed === phase || trimmed.startsWith(`${phase} `)) {
      const rest = trimmed.slice(phase.length);
      // Only an emoji and "(disabled)" may follow a header; anything else is ordinary text.
      if (/^[^A-Za-z0-9]*(\(disabled\))?[^A-Za-z0-9]*$/.test(rest)) return { kind: "phase", phase, disabled: rest.includes("(disabled)") };
    }
  }
  let m = /^Artifact (\S+) output as (\S+)$/.exec(trimmed);
  if (m) return { kind: "artifact", source: m[1] ?? "", path: m[2] ?? "" };
  m = /^Image (\S+) output as (\S+)$/.exec(trimmed);
  if (m) return { kind: "image", target: m[1] ?? "", ref: m[2] ?? "" };
  m = /^Pushed image (\S+) as (\S+)$/.exec(trimmed);
  if (m) return { kind: "pushed", target: m[1] ?? "", ref: m[2] ?? "" };
  m = /^Did not push image (\S+)/.exec(trimmed);
  if (m) return { kind: "not-pushed", ref: m[1] ?? "" };
  m = /^Error: (.*)$/.exec(trimmed);
  if (m) return { kind: "error", message: m[1] ?? "" };
  return { kind: "text", text: line };
}

/** `ERROR Earthfile:9:4` (v0.8.10+) and `ERROR Earthfile line 9:4` (earlier), normalised to `Earthfile:9:4`. */
export function parseLocation(text: string): string | undefined {
  const m = /ERROR\s+(\S*Earthfile)(?::| line )(\d+):(\d+)/.exec(text);
  return m ? `${m[1]}:${m[2]}:${m[3]}` : undefined;
}

export interface ImageOutput {
  target: string;
  ref: string;
}

/** What a whole run said, gathered line by line. */
export interface EarthlyOutcome {
  success: boolean;
  failed: boolean;
  failedTarget: string | undefined;
  location: string | undefined;
  command: string | undefined;
  commandExitCode: number | undefined;
  errors: string[];
  /** The failing target's last lines (or the run's, when no target failed). */
  lastLines: string[];
  artifacts: { source: string; path: string }[];
  images: ImageOutput[];
  pushed: ImageOutput[];
  notPushed: string[];
}

const LAST_LINES = 12;
// Bounded so that memory stays flat even when a build has hundreds of targets.
const MAX_TRACKED_TARGETS = 200;

/** Feeds on lines, keeps only what the summary and verification need (memory bounded). */
export class OutputTracker {
  private readonly recent = new Map<string, string[]>();
  private readonly runRecent: string[] = [];
  private readonly seen = new Set<string>();
  private inCommand = false;
  private commandParts: string[] = [];
  readonly outcome: EarthlyOutcome = {
    success: false,
    failed: false,
    failedTarget: undefined,
    location: undefined,
    command: undefined,
    commandExitCode: undefined,
    errors: [],
    lastLines: [],
    artifacts: [],
    images: [],
    pushed: [],
    notPushed: [],
  };

  /** Parses one line, records it, and tells whether it is the first line of a target not seen before. */
  feed(raw: string): { line: EarthlyLine; newTarget: boolean } {
    const line = parseLine(raw);
    const o = this.outcome;
    let newTarget = false;
    switch (line.kind) {
      case "target": {
        if (!this.seen.has(line.target) && this.seen.size < MAX_TRACKED_TARGETS * 10) {
          this.seen.add(line.target);
          newTarget = true;
        }
        this.noteTargetLine(line.target, line.failed, line.text);
        break;
      }
      case "artifact":
        o.artifacts.push({ source: line.source, path: line.path });
        break;
      case "image":
        o.images.push({ target: line.target, ref: line.ref });
        break;
      case "pushed":
        o.pushed.push({ target: line.target, ref: line.ref });
        break;
      case "not-pushed":
        o.notPushed.push(line.ref);
        break;
      case "success":
        o.success = true;
        break;
      case "failure":
        o.failed = true;
        break;
      case "error":
        if (o.errors.length < 20) o.errors.push(line.message);
        break;
      case "text":
        if (line.text.trim() !== "") push(this.runRecent, line.text, LAST_LINES);
        break;
      default:
        break;
    }
    return { line, newTarget };
  }

  private noteTargetLine(target: string, failed: boolean, text: string): void {
    const o = this.outcome;
    const trimmed = text.trim();
    if (failed && o.failedTarget === undefined) o.failedTarget = target;
    const location = parseLocation(trimmed);
    if (location !== undefined) {
      if (o.location === undefined) o.location = location;
      if (o.failedTarget === undefined) o.failedTarget = target;
      return;
    }
    const done = /did not complete successfully\. Exit code (\d+)/.exec(trimmed);
    const startsCommand = /^The command\b/.exec(trimmed);
    if (startsCommand || this.inCommand) {
      // The command may be on the same line as "The command" or on the lines between it and "did not complete".
      let part = startsCommand ? trimmed.slice("The command".length) : trimmed;
      if (done) part = part.slice(0, part.indexOf("did not complete")).trim();
      if (part.trim() !== "") this.commandParts.push(part.trim());
      this.inCommand = !done;
      if (done && o.command === undefined) o.command = this.commandParts.join(" ");
    }
    if (done) {
      if (o.commandExitCode === undefined) o.commandExitCode = Number(done[1]);
      if (o.failedTarget === undefined) o.failedTarget = target;
      return;
    }
    if (startsCommand || this.inCommand) return;
    if (trimmed === "") return;
    let lines = this.recent.get(target);
    if (!lines) {
      if (this.recent.size >= MAX_TRACKED_TARGETS) {
        const oldest = this.recent.keys().next().value;
        if (oldest !== undefined && oldest !== o.failedTarget) this.recent.delete(oldest);
      }
      lines = [];
      this.recent.set(target, lines);
    }
    // The failure block repeats the target's lines; keep each line once.
    if (!failed || !lines.includes(text)) push(lines, text, LAST_LINES);
    push(this.runRecent, `${target} | ${text}`, LAST_LINES);
  }

  result(): EarthlyOutcome {
    const o = this.outcome;
    const lines = o.failedTarget !== undefined ? this.recent.get(o.failedTarget) : undefined;
    return { ...o, lastLines: lines ? [...lines] : [...this.runRecent] };
  }
}

function push(list: string[], item: string, max: number): void {
  list.push(item);
  if (list.length > max) list.shift();
}
