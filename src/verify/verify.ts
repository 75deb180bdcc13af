// After Earthly says it succeeded, check what is on disk and what it reported: the ISO and its
// .sha256 exist and agree, and every planned image appears in Earthly's output summary.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { readRegularFile } from "../workspace/safe-fs.js";
import { basename, join } from "node:path";
import type { EarthlyOutcome } from "../earthly/output.js";
import type { BuildPlan } from "../plan/plan.js";

export interface ArtifactRecord {
  path: string;
  size: number;
  sha256: string;
}

export interface ImageRecord {
  ref: string;
  pushed: boolean;
}

export interface Verification {
  artifacts: ArtifactRecord[];
  images: ImageRecord[];
  problems: string[];
}

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

async function record(cwd: string, path: string, signal: AbortSignal | undefined): Promise<ArtifactRecord | undefined> {
  try {
    const info = await stat(join(cwd, path));
    if (!info.isFile()) return undefined;
    return { path, size: info.size, sha256: await sha256File(join(cwd, path), signal) };
  } catch {
    return undefined;
  }
}

/**
 * Checks everything and lists every problem; does not throw. After `signal` fires, what it returns
 * means nothing: the caller, which fired it, ends the run instead.
 */
export async function checkOutputs(plan: BuildPlan, cwd: string, outcome: EarthlyOutcome, signal?: AbortSignal): Promise<Verification> {
  const problems: string[] = [];
  const artifacts: ArtifactRecord[] = [];
  for (const path of plan.artifacts) {
    const found = await record(cwd, path, signal);
    if (found) artifacts.push(found);
    else problems.push(`${path} is missing`);
  }
  for (const iso of plan.artifacts.filter((p) => p.endsWith(".iso"))) {
    const isoRecord = artifacts.find((a) => a.path === iso);
    const sumPath = `${iso}.sha256`;
    if (!isoRecord || !artifacts.some((a) => a.path === sumPath)) continue;
    let text: string;
    try {
      text = (await readRegularFile(join(cwd, sumPath), 64 * 1024)).toString("utf8");
    } catch (error) {
      problems.push(`${sumPath} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    const parsed = parseSha256File(text);
    if (!parsed) problems.push(`${sumPath} does not hold a sha256 sum`);
    else if (parsed.sum !== isoRecord.sha256) problems.push(`${sumPath} says ${parsed.sum} but ${iso} hashes to ${isoRecord.sha256}`);
    else if (parsed.name !== undefined && basename(parsed.name) !== basename(iso)) problems.push(`${sumPath} names ${parsed.name}, not ${basename(iso)}`);
  }
  const output = new Set(outcome.images.map((i) => i.ref));
  const pushed = new Set(outcome.pushed.map((i) => i.ref));
  const images: ImageRecord[] = [];
  for (const image of plan.images) {
    if (image.push && !pushed.has(image.ref)) {
      problems.push(`image ${image.ref} was not pushed (Earthly's summary has no "Pushed image ... as ${image.ref}")`);
    } else if (!image.push && !output.has(image.ref) && !pushed.has(image.ref)) {
      problems.push(`image ${image.ref} is not in Earthly's output summary`);
    } else {
      images.push({ ref: image.ref, pushed: pushed.has(image.ref) });
    }
  }
  return { artifacts, images, problems };
}
