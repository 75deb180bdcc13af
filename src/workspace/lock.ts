// One build per workspace at a time. The lock lives in `.canvos/` (not `build/`), so a refused
// second run leaves `build/` untouched. A lock whose process is gone is taken over.
import { linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { EnvironmentError } from "../errors.js";
import { fsReason, isFsError, makeDir } from "./fs-errors.js";

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

/** .canvos/ cannot be written (a file named .canvos, a read-only mount): the user's to fix, not a bug. */
function unwritable(cwd: string, error: unknown): EnvironmentError {
  return new EnvironmentError(`cannot write the workspace lock ${join(cwd, LOCK_FILE)}: ${fsReason(error)}`, "canvos needs a writable .canvos/ folder in the workspace (it holds the lock and the run's arg file)");
}

/** link(); on a file system without hard links (some network and FAT mounts), an exclusive create instead. */
function linkOrCreate(draft: string, path: string, me: LockOwner): void {
  try {
    linkSync(draft, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw error;
    writeFileSync(path, JSON.stringify(me) + "\n", { flag: "wx" });
  }
}

export function acquireLock(cwd: string, command: string): WorkspaceLock {
  const path = join(cwd, LOCK_FILE);
  try {
    makeDir(join(cwd, ".canvos"));
  } catch (error) {
    throw isFsError(error) ? unwritable(cwd, error) : error;
  }
  const me: LockOwner = { pid: process.pid, host: hostname(), command, started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    // The owner is written to a file of our own first, then hard-linked into place: link() creates
    // only if absent, atomically, so two runs cannot both win, and the lock is never seen empty
    // (an empty lock, read between create and write, looked like garbage and was taken over).
    const draft = `${path}.${process.pid}.tmp`;
    try {
      try {
        writeFileSync(draft, JSON.stringify(me) + "\n", { flag: "w" });
      } catch (error) {
        throw unwritable(cwd, error);
      }
      linkOrCreate(draft, path, me);
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
      if (error instanceof EnvironmentError) throw error;
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw isFsError(error) ? unwritable(cwd, error) : error;
    } finally {
      rmSync(draft, { force: true });
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
