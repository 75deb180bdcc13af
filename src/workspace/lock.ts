// One build per workspace at a time. The lock lives in `.canvos/` (not `build/`), so a refused
// second run leaves `build/` untouched. A lock whose process is gone is taken over.
import { closeSync, constants, fstatSync, linkSync, lstatSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { readRegularFileSync, unpredictableSibling, writeExclusiveSync } from "./safe-fs.js";
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

/** A lock as read from one open file: its owner (undefined for garbage), its text and inode. */
interface LockSeen {
  owner: LockOwner | undefined;
  text: string;
  ino: number;
}

function readLock(path: string): LockSeen | undefined {
  let fd: number;
  try {
    // Non-blocking: a FIFO at the lock's name must not hang the run.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const info = fstatSync(fd);
    const ino = info.ino;
    // Not a regular file, or far larger than a lock record: not a lock canvos wrote.
    if (!info.isFile() || info.size > 64 * 1024) return { owner: undefined, text: "", ino };
    const text = readFileSync(fd, "utf8");
    try {
      const data = JSON.parse(text) as Partial<LockOwner>;
      if (typeof data.pid !== "number") return { owner: undefined, text, ino };
      return { owner: { pid: data.pid, host: String(data.host ?? ""), command: String(data.command ?? "?"), started: String(data.started ?? "?") }, text, ino };
    } catch {
      return { owner: undefined, text, ino };
    }
  } finally {
    closeSync(fd);
  }
}

const readOwner = (path: string): LockOwner | undefined => readLock(path)?.owner;

/** .canvos/ cannot be written (a file named .canvos, a read-only mount): the user's to fix, not a bug. */
function unwritable(cwd: string, error: unknown): EnvironmentError {
  return new EnvironmentError(`cannot write the workspace lock ${join(cwd, LOCK_FILE)}: ${fsReason(error)}`, "canvos needs a writable .canvos/ folder in the workspace (it holds the lock and the run's arg file)");
}

/** link(); on a file system without hard links (some network and FAT mounts), an exclusive create instead. */
function linkOrCreate(draft: string, path: string, content: string): void {
  try {
    linkSync(draft, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw error;
    writeFileSync(path, content, { flag: "wx" });
  }
}

/**
 * Removes the stale lock `judged`, and only that one. Two runs can judge the same stale lock at
 * once: removing by path, the slower one would remove the lock the faster one had just taken, and
 * both would build. So the lock is first renamed aside (atomic: one run gets it) and checked to be
 * the file judged, by inode and text (an inode is soon reused); a fresh lock moved aside by
 * mistake is put back.
 */
function removeStale(path: string, judged: LockSeen): void {
  const aside = `${path}.${process.pid}.stale`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  try {
    let text = "";
    try {
      text = readRegularFileSync(aside, 64 * 1024).toString("utf8");
    } catch {
      // Not a regular file: nothing a run wrote, so nothing to put back unless it changed.
    }
    if (lstatSync(aside).ino !== judged.ino || text !== judged.text) {
      try {
        linkOrCreate(aside, path, text);
      } catch {
        // A third run holds the path already: the next attempt reports whoever has it.
      }
    }
  } finally {
    rmSync(aside, { force: true });
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
  const record = JSON.stringify(me) + "\n";
  for (let attempt = 0; attempt < 3; attempt++) {
    // The owner is written to a file of our own first, then hard-linked into place: link() creates
    // only if absent, atomically, so two runs cannot both win, and the lock is never seen empty
    // (an empty lock, read between create and write, looked like garbage and was taken over).
    const draft = unpredictableSibling(path);
    try {
      try {
        writeExclusiveSync(draft, record);
      } catch (error) {
        throw unwritable(cwd, error);
      }
      linkOrCreate(draft, path, record);
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
    const lock = readLock(path);
    // Gone meanwhile: its run ended; try again.
    if (lock === undefined) continue;
    const { owner } = lock;
    // A lock from another host cannot be checked; only a dead local pid (or garbage) is stale.
    if (owner && (owner.host !== me.host || alive(owner.pid))) {
      throw new EnvironmentError(
        `another canvos run is using this workspace: \`canvos ${owner.command}\` (pid ${owner.pid}${owner.host !== me.host ? ` on ${owner.host}` : ""}), started ${owner.started}`,
        `wait for it to finish, or remove ${LOCK_FILE} if that run is gone`,
      );
    }
    try {
      removeStale(path, lock);
    } catch (error) {
      throw isFsError(error) ? unwritable(cwd, error) : error;
    }
  }
  throw new EnvironmentError(`could not take the workspace lock ${LOCK_FILE}`, `remove ${LOCK_FILE} if no canvos run is active`);
}
