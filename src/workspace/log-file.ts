// The full Earthly log of a run, written as it arrives. Written synchronously (a slow disk slows
// the reading of Earthly's pipe, so nothing piles up in memory) in writes of 64 KiB or more, and
// nothing is lost when the process ends abruptly.
// A log that cannot be written (a full disk) never throws into the stream that feeds it: the first
// error is kept in `error`, nothing more is written, and the build decides what to do about it.
import { closeSync, mkdirSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { printable } from "../text.js";
import { createExclusiveSync } from "./safe-fs.js";

export const LOG_DIR = "build/logs";
const CHUNK = 64 * 1024;

/** `2025-01-31T09-05-07Z`: sortable, and valid in file names everywhere. */
export function logTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/:/g, "-");
}

export function logPathFor(command: string, date: Date): string {
  return `${LOG_DIR}/${logTimestamp(date)}-${command}.log`;
}

export class LogFile {
  /** The first write or close failure (ENOSPC, EIO...), sticky: nothing is written after it. */
  error: Error | undefined;
  private fd: number | undefined;
  private readonly pending = Buffer.allocUnsafe(CHUNK);
  private size = 0;

  /** Relative to the workspace: the name asked for, or beside it when that name was taken. */
  readonly relativePath: string;

  /**
   * `wanted` is relative to `cwd`. The log is a new file, never one found at its name (a link
   * placed there, its name being predictable, would make canvos write elsewhere): a taken name
   * gets a random suffix. Throws when the file cannot be created. `create` is for tests (a log
   * on /dev/full).
   */
  constructor(cwd: string, wanted: string, create: (path: string) => number = (path) => createExclusiveSync(path, 0o644)) {
    mkdirSync(join(cwd, LOG_DIR), { recursive: true });
    let name = wanted;
    for (let attempt = 0; ; attempt++) {
      try {
        this.fd = create(join(cwd, name));
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 5) throw error;
        name = wanted.replace(/\.log$/, `-${randomBytes(4).toString("hex")}.log`);
      }
    }
    this.relativePath = name;
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
