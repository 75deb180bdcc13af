// Streamed hashing and the sha256sum file format.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/**
 * Streamed: an ISO of several GB never sits in memory. `signal` stops the reading itself, so that
 * a Ctrl-C does not wait for the rest of a large file to be hashed before canvos can exit.
 */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024, ...(signal ? { signal } : {}) })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** `sha256sum` format: `<hex>  <name>` (or `<hex> *<name>` in binary mode). */
export function parseSha256File(text: string): { sum: string; name: string | undefined } | undefined {
  const m = /^\s*([0-9a-fA-F]{64})(?:\s+\*?(\S.*?))?\s*$/m.exec(text);
  return m ? { sum: (m[1] ?? "").toLowerCase(), name: m[2] } : undefined;
}

