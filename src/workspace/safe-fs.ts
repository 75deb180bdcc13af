// How canvos touches files. Files it reads (named by the user, or lying in the workspace) are read
// only if they are regular files, and never beyond a limit: a FIFO would block a plain read for
// ever, a link to /dev/zero would grow memory without end, and `stat`'s size says nothing about
// either (or about a file that grows while it is read). Files it creates in build/ and .canvos/ are
// created exclusively and never through a symbolic link someone left at their name.
import { closeSync, constants, fstatSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { open, stat, type FileHandle } from "node:fs/promises";
import { randomBytes } from "node:crypto";

/** Thrown for what is not a regular file (`ENOTREG`, `EISDIR`) or exceeds the limit (`EFBIG`). */
export class UnreadableFileError extends Error {
  constructor(
    readonly code: "ENOTREG" | "EISDIR" | "EFBIG",
    readonly path: string,
    message: string,
    /** For EFBIG: the size found (at least), in bytes. */
    readonly size?: number,
  ) {
    super(message);
  }
}

/** O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting for a writer. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

function kindError(path: string, isDirectory: boolean, isFile: boolean): UnreadableFileError | undefined {
  if (isDirectory) return new UnreadableFileError("EISDIR", path, "is a directory");
  if (!isFile) return new UnreadableFileError("ENOTREG", path, "is not a regular file (a pipe, a device or a socket)");
  return undefined;
}

function tooLarge(path: string, maxBytes: number, size: number): UnreadableFileError {
  const limit = maxBytes >= 1048576 ? `${Math.round(maxBytes / 1048576)} MiB` : `${Math.round(maxBytes / 1024)} KiB`;
  return new UnreadableFileError("EFBIG", path, `is larger than ${limit}, far too large for this file`, size);
}

/** Gathers a file's chunks and fails as soon as they pass `maxBytes` (one byte more is read to tell). */
function collector(path: string, maxBytes: number): { next(): Buffer; took(chunk: Buffer, bytesRead: number): boolean; bytes(): Buffer } {
  const chunks: Buffer[] = [];
  let total = 0;
  return {
    next: () => Buffer.allocUnsafe(Math.min(64 * 1024, maxBytes + 1 - total)),
    took(chunk, bytesRead) {
      if (bytesRead === 0) return false;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw tooLarge(path, maxBytes, total);
      return true;
    },
    bytes: () => Buffer.concat(chunks, total),
  };
}

/**
 * The bytes of a regular file, at most `maxBytes` (more is an EFBIG error, whatever stat says).
 * Errors: the system's (ENOENT, EACCES...) or UnreadableFileError.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<Buffer> {
  const { handle, size } = await openRegular(path);
  try {
    if (size > maxBytes) throw tooLarge(path, maxBytes, size);
    const bounded = collector(path, maxBytes);
    for (let chunk = bounded.next(); bounded.took(chunk, (await handle.read(chunk, 0, chunk.length, null)).bytesRead); chunk = bounded.next());
    return bounded.bytes();
  } finally {
    await handle.close();
  }
}

/** Opens `path` for reading only if it is a regular file: checked on the path first, so a device or FIFO is never even opened, then on the open file. */
async function openRegular(path: string): Promise<{ handle: FileHandle; size: number }> {
  const before = await stat(path);
  const early = kindError(path, before.isDirectory(), before.isFile());
  if (early) throw early;
  const handle = await open(path, READ_FLAGS);
  try {
    const info = await handle.stat();
    const late = kindError(path, info.isDirectory(), info.isFile());
    if (late) throw late;
    return { handle, size: info.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** readRegularFile for the few places that must stay synchronous (start-up, the lock). */
export function readRegularFileSync(path: string, maxBytes: number): Buffer {
  const before = statSync(path);
  const early = kindError(path, before.isDirectory(), before.isFile());
  if (early) throw early;
  const fd = openSync(path, READ_FLAGS);
  try {
    const info = fstatSync(fd);
    const late = kindError(path, info.isDirectory(), info.isFile());
    if (late) throw late;
    const bounded = collector(path, maxBytes);
    for (let chunk = bounded.next(); bounded.took(chunk, readSync(fd, chunk, 0, chunk.length, null)); chunk = bounded.next());
    return bounded.bytes();
  } finally {
    closeSync(fd);
  }
}

/** The first `n` bytes of a regular file (fewer if it is shorter), e.g. to check a file's magic bytes. */
export async function readHead(path: string, n: number): Promise<{ head: Buffer; size: number }> {
  const { handle, size } = await openRegular(path);
  try {
    const head = Buffer.alloc(n);
    const { bytesRead } = await handle.read(head, 0, n, 0);
    return { head: head.subarray(0, bytesRead), size };
  } finally {
    await handle.close();
  }
}

/** O_EXCL with O_CREAT fails on any existing name, a symbolic link included; O_NOFOLLOW says so twice. */
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** A new file at `path`, opened for writing; fails (EEXIST) if anything, a link included, is there. */
export function createExclusiveSync(path: string, mode = 0o644): number {
  return openSync(path, CREATE_FLAGS, mode);
}

/** A new file with `content`; see createExclusiveSync. */
export function writeExclusiveSync(path: string, content: string | Uint8Array, mode = 0o644): void {
  const fd = createExclusiveSync(path, mode);
  try {
    const bytes = typeof content === "string" ? Buffer.from(content) : content;
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
  } finally {
    closeSync(fd);
  }
}

/** A name beside `path` nobody can guess in advance, for a file written then renamed into place. */
export function unpredictableSibling(path: string): string {
  return `${path}.${randomBytes(8).toString("hex")}.tmp`;
}
