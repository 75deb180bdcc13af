// Runs an Earthfile's `$(...)` shell-outs on this machine instead of in the target's container:
// what canvos needs to know before anything is pulled (the base image `choose-base-image.sh`
// picks, the versions a FOR walks). The workspace files the state COPYd so far are placed under a
// scratch root and their container paths in the command point there; the command gets only the
// target's variables as its environment, and busybox's applets (the helper image's tools) when
// this machine has busybox.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import { execaSync } from "execa";
import type { ShellOut } from "./evaluate.js";

const BUSYBOX = "/bin/busybox";
const APPLETS = ["sh", "tr", "sed", "cut", "cat", "printf", "echo", "grep", "basename", "find", "sort", "tail"];

export function shellOutLocally(workspace: string): (request: ShellOut) => string {
  return (request) => {
    const root = mkdtempSync(join(tmpdir(), "canvos-shell-out-"));
    try {
      let command = request.command;
      const dirs = new Set<string>();
      for (const copy of request.copies) {
        for (const source of copy.sources) {
          const local = join(workspace, source);
          if (source.startsWith("+") || !existsSync(local)) continue;
          const into = copy.dest.endsWith("/") || copy.sources.length > 1;
          const dest = into ? posix.join(copy.dest, posix.basename(source)) : copy.dest;
          mkdirSync(dirname(join(root, dest)), { recursive: true });
          copyFileSync(local, join(root, dest));
          dirs.add(posix.dirname(dest));
        }
      }
      for (const dir of [...dirs].sort((a, b) => b.length - a.length)) command = command.split(`${dir}/`).join(`${join(root, dir)}/`);
      const busybox = existsSync(BUSYBOX);
      const path = busybox ? busyboxPath(root) : (process.env["PATH"] ?? "/usr/bin:/bin");
      const result = execaSync(busybox ? BUSYBOX : "sh", busybox ? ["sh", "-c", command] : ["-c", command], { env: { ...request.env, PATH: path }, extendEnv: false, reject: false, cwd: root, timeout: 30_000 });
      if (result.exitCode !== 0) throw new Error(`exit ${String(result.exitCode)}: ${String(result.stderr).trim()}`);
      return String(result.stdout);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
}

function busyboxPath(root: string): string {
  const bin = join(root, ".busybox-bin");
  mkdirSync(bin);
  for (const applet of APPLETS) symlinkSync(BUSYBOX, join(bin, applet));
  return bin;
}
