// Helpers for tests that drive the stand-in Earthly (test/bin/earthly).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, workspace } from "./cli.js";
import { waitFor } from "./wait.js";

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

export interface EarthlyHold {
  /** What the stand-in needs to stop there: FAKE_EARTHLY_HOLD. */
  env: { FAKE_EARTHLY_HOLD: string };
  /** Resolves once the stand-in waits in its Build phase: Earthly runs, its handlers are in place. */
  reached: (ms?: number) => Promise<void>;
  /** Lets it go on to the end of its build. */
  release: () => void;
}

/** A hold in the stand-in's Build phase, in a folder of its own (gone, and so released, when the test ends). */
export function earthlyHold(): EarthlyHold {
  const file = join(workspace("canvos-hold-"), "go");
  return {
    env: { FAKE_EARTHLY_HOLD: file },
    reached: (ms = 30_000) => waitFor(() => existsSync(`${file}.waiting`), ms, "the stand-in Earthly to reach its hold"),
    release: () => writeFileSync(file, ""),
  };
}
