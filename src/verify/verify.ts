// After Earthly says it succeeded, check what is on disk and what it reported: the ISO and its
// .sha256 exist and agree, and every planned image appears in Earthly's output summary.
import { readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { EarthlyOutcome } from "../earthly/output.js";
import type { BuildPlan } from "../plan/plan.js";
import { parseSha256File, sha256File } from "./hash.js";

export { parseSha256File, sha256File };

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
    const parsed = parseSha256File(await readFile(join(cwd, sumPath), "utf8"));
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
