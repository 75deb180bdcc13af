// Reads Earthly's log lines (earthly.md, "Output"). Pure: no I/O, so the unit tests feed it text.
// Lines are cleaned of colour codes and CR first; nothing below depends on either.
// A build streams a lot (a GB of log is no surprise): OutputTracker.feedLines takes whole runs of
// lines as bytes and turns into strings only the few lines that can change something.

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

/** Called for the lines that may matter to progress: phases, summaries, a target's first line, watched text. */
export type LineHandler = (line: EarthlyLine, newTarget: boolean) => void;

const LAST_LINES = 12;
// feedLines keeps this much of the latest output; the failure summary is read from it at the end
// (Earthly repeats the failing target's lines in its failure block, the last thing it prints).
const TAIL_BYTES = 1024 * 1024;
const LF = 0x0a;
// The prefix column is 20 wide: " |" right after it is the common shape of a target line.
const PREFIX = 20;
const MAX_PREFIXES = 4096;

interface KnownPrefix {
  words: readonly [number, number, number, number, number];
}
// Bounded so that memory stays flat even when a build has hundreds of targets.
const MAX_TRACKED_TARGETS = 200;

/** Feeds on lines, keeps only what the summary and verification need (memory bounded). */
export class OutputTracker {
  private readonly recent = new Map<string, string[]>();
  private readonly runRecent: string[] = [];
  private readonly seen = new Set<string>();
  private inCommand = false;
  private commandParts: string[] = [];
  private readonly tail: Buffer[] = [];
  private tailBytes = 0;
  private chunked = false;
  // The 20 bytes before " |" of target lines already parsed, by hash: such a line is neither a new
  // target nor anything else the live view needs, so it is skipped without being decoded.
  private readonly prefixes = new Map<number, KnownPrefix[]>();
  private prefixCount = 0;
  private readonly longPrefixes = new Set<string>();
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
    const newTarget = this.record(line);
    if (line.kind === "target") this.noteTargetLine(line.target, line.failed, line.text);
    else if (line.kind === "text" && line.text.trim() !== "") push(this.runRecent, line.text, LAST_LINES);
    return { line, newTarget };
  }

  /**
   * The streaming form of feed (use one or the other): `lines` are whole lines, cleaned
   * (cleanLines), each ending in LF. `onLine` gets every line except target lines of a known prefix
   * that do not contain `watch`; the failure details come from the last MiB, in result().
   */
  feedLines(lines: Buffer, onLine?: LineHandler, watch?: string): void {
    this.chunked = true;
    this.keepTail(lines);
    const n = lines.length;
    let watched = watch === undefined || watch === "" ? -1 : lines.indexOf(watch);
    const view = new DataView(lines.buffer, lines.byteOffset, lines.byteLength);
    let p = 0;
    let nextBar = -1;
    while (p < n) {
      let nl = lines.indexOf(LF, p);
      if (nl === -1) nl = n;
      let wanted = false;
      if (watched !== -1 && watched < nl) {
        wanted = true;
        watched = lines.indexOf(watch ?? "", nl);
      }
      let w0 = 0;
      let w1 = 0;
      let w2 = 0;
      let w3 = 0;
      let w4 = 0;
      let hash = 0;
      const shaped = nl - p > PREFIX + 1 && lines[p + PREFIX] === 0x20 && lines[p + PREFIX + 1] === 0x7c && lines[p + PREFIX - 1] !== 0x20;
      if (shaped) {
        // Five 32-bit reads instead of a loop over 20 bytes: this runs for every line.
        w0 = view.getUint32(p, true);
        w1 = view.getUint32(p + 4, true);
        w2 = view.getUint32(p + 8, true);
        w3 = view.getUint32(p + 12, true);
        w4 = view.getUint32(p + 16, true);
        hash = (Math.imul(w0 ^ w2, 0x9e3779b1) ^ Math.imul(w1 ^ w3, 0x85ebca6b) ^ w4) | 0;
        if (!wanted && this.knownPrefix(hash, w0, w1, w2, w3, w4)) {
          p = nl + 1;
          continue;
        }
      }
      // Any other prefix (a target name over 19 characters, *failed*): known by its bytes up to " |".
      let longPrefix: string | undefined;
      if (!shaped) {
        // One search serves every line up to the " |" found: no rescan of the run per line.
        if (nextBar < p) {
          nextBar = lines.indexOf(BAR, p);
          if (nextBar === -1) nextBar = n;
        }
        const bar = nextBar;
        if (bar < nl && bar - p <= 128) {
          longPrefix = lines.toString("latin1", p, bar);
          if (!wanted && this.longPrefixes.has(longPrefix)) {
            p = nl + 1;
            continue;
          }
        } else if (!wanted && !mayMatter(lines, p, nl)) {
          p = nl + 1;
          continue;
        }
      }
      const line = parseLine(lines.toString("utf8", p, nl));
      const newTarget = this.record(line);
      if (line.kind === "target" && longPrefix !== undefined && this.longPrefixes.size < MAX_PREFIXES) this.longPrefixes.add(longPrefix);
      if (line.kind === "target" && shaped && this.prefixCount < MAX_PREFIXES && !this.knownPrefix(hash, w0, w1, w2, w3, w4)) {
        const known: KnownPrefix = { words: [w0, w1, w2, w3, w4] };
        const list = this.prefixes.get(hash);
        if (list) list.push(known);
        else this.prefixes.set(hash, [known]);
        this.prefixCount++;
      }
      onLine?.(line, newTarget);
      p = nl + 1;
    }
  }

  private knownPrefix(hash: number, w0: number, w1: number, w2: number, w3: number, w4: number): boolean {
    const list = this.prefixes.get(hash);
    if (!list) return false;
    for (const known of list) {
      const w = known.words;
      if (w[0] === w0 && w[1] === w1 && w[2] === w2 && w[3] === w3 && w[4] === w4) return true;
    }
    return false;
  }

  private keepTail(lines: Buffer): void {
    if (lines.length === 0) return;
    this.tail.push(lines);
    this.tailBytes += lines.length;
    let first = this.tail[0];
    while (first !== undefined && this.tail.length > 1 && this.tailBytes - first.length >= TAIL_BYTES) {
      this.tail.shift();
      this.tailBytes -= first.length;
      first = this.tail[0];
    }
  }

  /** The summary fields of one line; true when it is the first line of a target not seen before. */
  private record(line: EarthlyLine): boolean {
    const o = this.outcome;
    switch (line.kind) {
      case "target": {
        if (!this.seen.has(line.target) && this.seen.size < MAX_TRACKED_TARGETS * 10) {
          this.seen.add(line.target);
          return true;
        }
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
      default:
        break;
    }
    return false;
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
    if (this.chunked) {
      // The target and failure details, from the tail only; the summary fields were read live.
      const replay = new OutputTracker();
      for (const lines of this.tail) for (const line of lines.toString("utf8").split("\n")) replay.feed(line);
      const r = replay.result();
      const o = this.outcome;
      return { ...o, failedTarget: r.failedTarget, location: r.location, command: r.command, commandExitCode: r.commandExitCode, lastLines: r.lastLines };
    }
    const o = this.outcome;
    const lines = o.failedTarget !== undefined ? this.recent.get(o.failedTarget) : undefined;
    return { ...o, lastLines: lines ? [...lines] : [...this.runRecent] };
  }
}

// First bytes of the lines parseLine gives a kind other than "text" or "divider" (trimmed):
// Artifact, Image, Init, Build, Pushed, Push Summary, Local Output Summary, Did not push, Error, =.
const SIGNIFICANT = new Set([0x41, 0x49, 0x42, 0x50, 0x4c, 0x44, 0x45, 0x3d]);
const BAR = Buffer.from(" |");

/**
 * For a line without " |" (so no target line): false only when parseLine would call it text or a
 * divider, which the live view skips (the failure summary reads the tail later). A non-ASCII start
 * may be a Unicode space: parsed.
 */
function mayMatter(lines: Buffer, p: number, nl: number): boolean {
  let q = p;
  let b = lines[q];
  while (q < nl && b !== undefined && (b === 0x20 || (b >= 0x09 && b <= 0x0d))) b = lines[++q];
  if (q >= nl || b === undefined) return false;
  return b >= 0x80 || SIGNIFICANT.has(b);
}

function push(list: string[], item: string, max: number): void {
  list.push(item);
  if (list.length > max) list.shift();
}
