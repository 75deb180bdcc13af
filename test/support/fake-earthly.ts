// Helpers for tests that drive the stand-in Earthly (test/bin/earthly).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./cli.js";

export const FAKE_BIN_DIR = join(ROOT, "test", "bin");

/** PATH with the stand-in Earthly first. */
export function pathWithFake(): string {
  return `${FAKE_BIN_DIR}:${process.env["PATH"] ?? "/usr/bin:/bin"}`;
}

export interface Recorded {
  argv: string[];
  cwd: string;
  flags: Record<string, string>;
  target: string;
  buildArgs: Record<string, string>;
  argFile: string;
  env: Record<string, string>;
}

export function readRecord(file: string): Recorded {
  return JSON.parse(readFileSync(file, "utf8")) as Recorded;
}

export function writeArg(dir: string, text: string, name = ".arg"): void {
  writeFileSync(join(dir, name), text);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
