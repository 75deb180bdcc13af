// The full Earthly log of a run, written as it arrives. Buffered in small chunks and written
// synchronously, so memory stays flat and nothing is lost when the process ends abruptly.
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";

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
  private fd: number | undefined;
  private pending: string[] = [];
  private size = 0;

  /** `relativePath` is relative to `cwd`. */
  constructor(cwd: string, readonly relativePath: string) {
    mkdirSync(join(cwd, LOG_DIR), { recursive: true });
    this.fd = openSync(join(cwd, relativePath), "a");
  }

  write(line: string): void {
    if (this.fd === undefined) return;
    this.pending.push(line, "\n");
    this.size += line.length + 1;
    if (this.size >= CHUNK) this.flush();
  }

  flush(): void {
    if (this.fd === undefined || this.pending.length === 0) return;
    writeSync(this.fd, this.pending.join(""));
    this.pending = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
