// File-system failures the user can meet (a full disk, a read-only mount, a file where a folder
// belongs) in plain words, for EnvironmentError messages instead of a stack trace.
import { mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";

const WORDS: Readonly<Record<string, string>> = {
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "a file is in the way where a folder belongs",
  EEXIST: "something else is in the way",
  EISDIR: "a folder is in the way where a file belongs",
  EIO: "input/output error",
  ENOENT: "no such file or folder",
};

/** A Node.js system error (it has an errno code), as opposed to a bug. */
export function isFsError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string" && /^E[A-Z]+$/.test((error as NodeJS.ErrnoException).code ?? "");
}

/** "no space left on the device (ENOSPC)"; the raw message for codes without words. */
export function fsReason(error: unknown): string {
  if (!isFsError(error)) return error instanceof Error ? error.message : String(error);
  const code = error.code ?? "";
  const words = WORDS[code];
  return words !== undefined ? `${words} (${code})` : error.message;
}

/**
 * `mkdir -p` that reports the real cause: Node's recursive mkdir says ENOENT on a read-only file
 * system, where this says EROFS. A file in the way is ENOTDIR.
 */
export function makeDir(path: string): void {
  try {
    mkdirSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      if (statSync(path).isDirectory()) return;
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${path}'`), { code: "ENOTDIR", path, syscall: "mkdir" });
    }
    if (code !== "ENOENT" || dirname(path) === path) throw error;
    makeDir(dirname(path));
    mkdirSync(path);
  }
}
