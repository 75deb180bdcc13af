// One build per workspace at a time. The lock lives in `.canvos/` (not `build/`), so a refused
// second run leaves `build/` untouched. A lock whose process is gone is taken over.
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { EnvironmentError } from "../errors.js";

export const LOCK_FILE = ".canvos/build.lock";

interface LockOwner {
  pid: number;
  host: string;
  command: string;
  started: string;
}

export interface WorkspaceLock {
  path: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const data = JSON.parse(readFileSync(path, "utf8")) as Partial<LockOwner>;
    if (typeof data.pid !== "number") return undefined;
    return { pid: data.pid, host: String(data.host ?? ""), command: String(data.command ?? "?"), started: String(data.started ?? "?") };
  } catch {
    return undefined;
  }
}

export function acquireLock(cwd: string, command: string): WorkspaceLock {
  const path = join(cwd, LOCK_FILE);
  mkdirSync(join(cwd, ".canvos"), { recursive: true });
  const me: LockOwner = { pid: process.pid, host: hostname(), command, started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // "wx": created only if absent, atomically, so two runs cannot both win.
      const fd = openSync(path, "wx");
      writeSync(fd, JSON.stringify(me) + "\n");
      closeSync(fd);
      let released = false;
      return {
        path,
        release() {
          if (released) return;
          released = true;
          if (readOwner(path)?.pid === process.pid) rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = readOwner(path);
    // A lock from another host cannot be checked; only a dead local pid (or garbage) is stale.
    if (owner && (owner.host !== me.host || alive(owner.pid))) {
      throw new EnvironmentError(
        `another canvos run is using this workspace: \`canvos ${owner.command}\` (pid ${owner.pid}${owner.host !== me.host ? ` on ${owner.host}` : ""}), started ${owner.started}`,
        `wait for it to finish, or remove ${LOCK_FILE} if that run is gone`,
      );
    }
    rmSync(path, { force: true });
  }
  throw new EnvironmentError(`could not take the workspace lock ${LOCK_FILE}`, `remove ${LOCK_FILE} if no canvos run is active`);
}
