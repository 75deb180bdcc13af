// Helpers for the robustness suite: wrapped stand-ins, finding processes a run left behind, and
// whether the kernel lets us mount (for a real full disk and a real read-only build/).
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FAKE_BIN_DIR } from "../support/fake-earthly.js";

export { waitFor } from "../support/wait.js";

export const STAND_IN = join(FAKE_BIN_DIR, "earthly");

/**
 * An executable `earthly` in `dir` that appends its argv (one JSON array a line) to `argvLog`, runs
 * `before` (shell), then the stand-in, then `after` with the stand-in's exit code in $rc.
 * Every invocation is recorded, `--version` too, which the stand-in's own record does not do.
 */
export function wrapStandIn(dir: string, options: { argvLog?: string; before?: string; after?: string; versionBefore?: string } = {}): string {
  const path = join(dir, "earthly");
  const record = options.argvLog
    ? `node -e 'require("fs").appendFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)) + "\\n")' ${shellQuote(options.argvLog)} "$@"`
    : ":";
  writeFileSync(
    path,
    `#!/bin/sh
${record}
if [ "\${1:-}" = "--version" ]; then
  ${options.versionBefore ?? ":"}
  exec ${shellQuote(STAND_IN)} "$@"
fi
${options.before ?? ":"}
${shellQuote(STAND_IN)} "$@"
rc=$?
${options.after ?? ":"}
exit $rc
`,
  );
  chmodSync(path, 0o755);
  return path;
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A value no real environment holds: children inherit it, so /proc finds every one of them. */
export function newMarker(): string {
  return `canvos-robustness-${randomUUID()}`;
}

/** Processes (other than zombies) whose environment holds CANVOS_ROBUSTNESS_MARK=marker. */
export function processesWithMarker(marker: string): { pid: number; cmdline: string }[] {
  const needle = `CANVOS_ROBUSTNESS_MARK=${marker}`;
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "latin1");
      if (!environ.split("\0").includes(needle)) continue;
      const state = /^State:\s+(\w)/m.exec(readFileSync(`/proc/${entry}/status`, "utf8"))?.[1];
      if (state === "Z") continue;
      found.push({ pid: Number(entry), cmdline: readFileSync(`/proc/${entry}/cmdline`, "latin1").replace(/\0/g, " ").trim() });
    } catch {
      // Gone while we looked, or not ours to read.
    }
  }
  return found;
}

/** Processes that hold `path` open. */
export function holdersOf(path: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      for (const fd of readdirSync(`/proc/${entry}/fd`)) {
        if (readlinkSync(`/proc/${entry}/fd/${fd}`) === path) pids.push(Number(entry));
      }
    } catch {
      // Gone, or not ours.
    }
  }
  return pids;
}

/** Whether `unshare -m` + mount work here (root with CAP_SYS_ADMIN, as on CI's fresh machine). */
export const canMount: boolean = (() => {
  const r = spawnSync("unshare", ["-m", "sh", "-c", "d=$(mktemp -d) && mount -t tmpfs -o size=16k tmpfs \"$d\" && umount \"$d\" && rmdir \"$d\""], { stdio: "ignore" });
  return r.status === 0;
})();
