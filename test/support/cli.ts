// Runs the built `canvos` the way a user does: a real process in a temp workspace.
import { copyFileSync, mkdtempSync, rmSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { onTestFinished } from "vitest";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CANVOS = join(ROOT, "bin", "canvos.cjs");

export interface RunOptions {
  cwd: string;
  /** Added to a minimal environment (PATH, HOME), so the developer's proxies and CI variables do not leak in. */
  env?: Record<string, string | undefined>;
}

/** A fresh folder that is no workspace (no Earthfile), removed when the test ends. */
export function folder(prefix = "canvos-dir-"): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A fresh workspace, removed when the test ends: a folder with the project's Earthfile, which is
 * what marks a workspace (src/workspace/find.ts) and what canvos checks the arg file against.
 */
export function workspace(prefix = "canvos-ws-"): string {
  const dir = folder(prefix);
  copyFileSync(join(ROOT, "Earthfile"), join(dir, "Earthfile"));
  return dir;
}

/** A workspace with an .arg such as `canvos init` writes. */
export function argWorkspace(prefix = "canvos-ws-"): string {
  const dir = workspace(prefix);
  writeFileSync(join(dir, ".arg"), "CUSTOM_TAG=demo\nOS_DISTRIBUTION=ubuntu\nIMAGE_REPO=$OS_DISTRIBUTION\n");
  return dir;
}

function baseEnv(): Record<string, string | undefined> {
  return { PATH: process.env["PATH"], HOME: process.env["HOME"], FORCE_COLOR: "0", NO_COLOR: "1", TMPDIR: process.env["TMPDIR"] };
}

export function canvos(args: readonly string[], options: RunOptions): ResultPromise<{ reject: false; extendEnv: false; stripFinalNewline: false }> {
  return execa(process.execPath, [CANVOS, ...args], {
    cwd: options.cwd,
    env: { ...baseEnv(), ...options.env },
    extendEnv: false,
    reject: false,
    stripFinalNewline: false,
  });
}
