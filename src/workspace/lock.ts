// One build per workspace at a time. The lock lives in `.canvos/` (not `build/`), so a refused
// second run leaves `build/` untouched. A lock whose process is gone is taken over.
import { closeSync, constants, fstatSync, linkSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

/** Whether a process of this machine with that pid exists. */
export function processAlive(pid: number): boolean {
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

/** Blocks for `ms`: the takeover below waits microseconds for another run, never an event loop turn. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Removes the stale lock `judged`, and only that one. Several runs can judge the same stale lock
 * at once; removing by path, a slower one would remove the lock a faster one had just taken, and
 * both would build (renaming the lock aside and putting back a fresh one moved by mistake still
 * left a window for a third run). So removers take turns: only the run holding the takeover file
 * (created exclusively) may remove the lock, and only after reading it again and finding the very
 * file it judged, by inode and text (an inode is soon reused, a run's text never).
 */
function removeStale(path: string, judged: LockSeen): void {
  const takeover = `${path}.takeover`;
  for (let wait = 0; ; wait++) {
    try {
      writeExclusiveSync(takeover, `${process.pid}\n`);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      // Its holder died between taking it and letting go: nothing of it is in use.
      const holder = Number.parseInt(readTakeover(takeover), 10);
      if (!Number.isNaN(holder) && !processAlive(holder)) rmSync(takeover, { force: true });
      else if (wait >= 200) return;
      else pause(2);
    }
  }
  try {
    const now = readLock(path);
    if (now !== undefined && now.ino === judged.ino && now.text === judged.text) rmSync(path, { force: true });
  } finally {
    rmSync(takeover, { force: true });
  }
}

function readTakeover(path: string): string {
  try {
    return readRegularFileSync(path, 64).toString("utf8");
  } catch {
    return "";
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
    if (owner && (owner.host !== me.host || processAlive(owner.pid))) {
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
