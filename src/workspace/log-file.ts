// The full Earthly log of a run, written as it arrives. Written synchronously (a slow disk slows
// the reading of Earthly's pipe, so nothing piles up in memory) in writes of 64 KiB or more, and
// nothing is lost when the process ends abruptly.
// A log that cannot be written (a full disk) never throws into the stream that feeds it: the first
// error is kept in `error`, nothing more is written, and the build decides what to do about it.
import { closeSync, mkdirSync, readdirSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { printable } from "../text.js";
import { createExclusiveSync } from "./safe-fs.js";
import { BUILD_COMMANDS } from "../plan/targets.js";

export const LOG_DIR = "build/logs";
const CHUNK = 64 * 1024;

/** How many of canvos's own logs a workspace keeps unless CANVOS_KEEP_LOGS says otherwise. */
export const DEFAULT_KEEP_LOGS = 20;

/** `2025-01-31T09-05-07.123Z`: sortable, to the millisecond, and valid in file names everywhere. */
export function logTimestamp(date: Date): string {
  return date.toISOString().replace(/:/g, "-");
}

/**
 * The n-th name tried for a run's log. A taken name (two runs in one millisecond, a clock set
 * back) gets `_2`, `_3`... after the time: `_` sorts after `-`, so names still sort in run order.
 */
export function logPathFor(command: string, date: Date, attempt = 1): string {
  return `${LOG_DIR}/${logTimestamp(date)}${attempt > 1 ? `_${attempt}` : ""}-${command}.log`;
}

/** canvos's own log names, those of earlier versions too (to the second, or with a random suffix): nothing else in build/logs is ever pruned. */
const OWN_LOG = new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d(?:\\.\\d{3})?Z(?:_\\d+)?-(?:${BUILD_COMMANDS.join("|")}|vendor-base-[a-z0-9-]+)(?:-[0-9a-f]{8})?\\.log$`);

/** CANVOS_KEEP_LOGS: a whole number, 0 for no pruning; anything else is the default. */
export function keepLogs(env: NodeJS.ProcessEnv): number {
  const raw = env["CANVOS_KEEP_LOGS"];
  const n = raw === undefined || raw.trim() === "" ? Number.NaN : Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : DEFAULT_KEEP_LOGS;
}

/**
 * Removes canvos's oldest logs so that `keep` remain (the current run's among them: it is the
 * newest). Never throws: a log that cannot go is no reason to fail a build. Returns what went.
 */
export function pruneLogs(cwd: string, keep: number, current: string): string[] {
  if (keep <= 0) return [];
  let names: string[];
  try {
    names = readdirSync(join(cwd, LOG_DIR)).filter((name) => OWN_LOG.test(name)).sort();
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names.slice(0, Math.max(0, names.length - keep))) {
    const relative = `${LOG_DIR}/${name}`;
    if (relative === current) continue;
    try {
      rmSync(join(cwd, relative));
      removed.push(relative);
    } catch {
      // Someone else's file mode or a read-only mount: it stays, the build goes on.
    }
  }
  return removed;
}

export class LogFile {
  /** The first write or close failure (ENOSPC, EIO...), sticky: nothing is written after it. */
  error: Error | undefined;
  private fd: number | undefined;
  private readonly pending = Buffer.allocUnsafe(CHUNK);
  private size = 0;

  /** Relative to the workspace: the first name of `names` that was free. */
  readonly relativePath: string;

  /**
   * `names(attempt)` gives the names to try, relative to `cwd`. The log is a new file, never one
   * found at its name (a link placed there, its name being predictable, would make canvos write
   * elsewhere, and an earlier run's log would get a second run's lines): a taken name means the
   * next one. Throws when the file cannot be created. `create` is for tests (a log on /dev/full).
   */
  constructor(cwd: string, names: (attempt: number) => string, create: (path: string) => number = (path) => createExclusiveSync(path, 0o644)) {
    mkdirSync(join(cwd, LOG_DIR), { recursive: true });
    for (let attempt = 1; ; attempt++) {
      const name = names(attempt);
      try {
        this.fd = create(join(cwd, name));
        this.relativePath = name;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 1000) throw error;
      }
    }
  }

  /** One line of canvos's own; the LF is added, and control characters in it are escaped (no forged lines). */
  write(line: string): void {
    this.writeLine(printable(line));
  }

  private writeLine(line: string): void {
    if (this.fd === undefined) return;
    const bytes = Buffer.byteLength(line) + 1;
    if (bytes > CHUNK - this.size) {
      this.flush();
      if (bytes > CHUNK) {
        this.writeAll(Buffer.from(`${line}\n`));
        return;
      }
    }
    this.size += this.pending.write(line, this.size);
    this.pending[this.size++] = 0x0a;
  }

  /** Earthly's bytes as they come (whole lines, cleaned): small runs are gathered, large ones written at once. */
  writeBytes(bytes: Uint8Array): void {
    if (this.fd === undefined || bytes.length === 0) return;
    if (bytes.length <= CHUNK - this.size) {
      this.pending.set(bytes, this.size);
      this.size += bytes.length;
      if (this.size === CHUNK) this.flush();
      return;
    }
    this.flush();
    if (bytes.length < CHUNK / 2) {
      this.pending.set(bytes, 0);
      this.size = bytes.length;
    } else this.writeAll(bytes);
  }

  flush(): void {
    if (this.size === 0) return;
    const size = this.size;
    this.size = 0;
    this.writeAll(this.pending.subarray(0, size));
  }

  /** Flushes and closes; never throws (a failure lands in `error`). Safe to call twice. */
  close(): void {
    this.flush();
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch (error) {
      this.fail(error);
    }
  }

  private writeAll(bytes: Uint8Array): void {
    if (this.fd === undefined) return;
    try {
      for (let off = 0; off < bytes.length; ) off += writeSync(this.fd, bytes, off, bytes.length - off);
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    this.error ??= error instanceof Error ? error : new Error(String(error));
    const fd = this.fd;
    this.fd = undefined;
    this.size = 0;
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch {
      // The write already failed; that is the error worth keeping.
    }
  }
}
