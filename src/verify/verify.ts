// After Earthly says it succeeded, check what is on disk and what it reported: the ISO and its
// .sha256 exist and agree, the ISO holds what a device boots and installs (src/verify/iso.ts),
// and every planned image appears in Earthly's output summary.
import { stat } from "node:fs/promises";
import { basename, normalize, resolve } from "node:path";
import { readRegularFile } from "../workspace/safe-fs.js";
import type { EarthlyOutcome } from "../earthly/output.js";
import type { BuildPlan } from "../plan/plan.js";
import { EnvironmentError } from "../errors.js";
import { fsReason, isFsError } from "../workspace/fs-errors.js";
import { parseSha256File, sha256File } from "./hash.js";
import type { IsoExpectation } from "./iso.js";

export { parseSha256File, sha256File };

export interface ArtifactRecord {
  path: string;
  size: number;
  sha256: string;
}

export interface ImageRecord {
  ref: string;
  pushed: boolean;
  /** Where its platform and /etc/os-release were checked after the build. */
  checked?: "local Docker" | "registry";
}

export interface Verification {
  artifacts: ArtifactRecord[];
  images: ImageRecord[];
  problems: string[];
}

/** Where an ISO is checked, it is hashed in the same pass, so a 4 GiB file is read once. */
async function record(cwd: string, path: string, signal: AbortSignal | undefined, iso: IsoExpectation | undefined, problems: string[]): Promise<ArtifactRecord | undefined> {
  const file = resolve(cwd, path);
  try {
    const info = await stat(file);
    if (!info.isFile()) return undefined;
  } catch {
    return undefined;
  }
  if (iso !== undefined && path.endsWith(".iso")) {
    const { checkIso } = await import("./iso.js");
    let report;
    try {
      report = await checkIso(file, iso, signal);
    } catch (error) {
      if (!isFsError(error)) throw error;
      throw new EnvironmentError(`cannot read ${path}: ${fsReason(error)}`, "canvos must be able to read the ISO to check it");
    }
    for (const problem of report.problems) problems.push(`${path} ${problem}`);
    return { path, size: report.size, sha256: report.sha256 };
  }
  return { path, size: (await stat(file)).size, sha256: await sha256File(file, signal) };
}

/**
 * Each planned artifact must be one Earthly says it wrote (`Artifact +iso/x.iso output as
 * build/x.iso`): with the files of an earlier run set aside before it started, nothing else can
 * pass as this run's output.
 */
export function notNamedByEarthly(plan: Pick<BuildPlan, "artifacts">, outcome: Pick<EarthlyOutcome, "artifacts">): string[] {
  const named = new Set(outcome.artifacts.map((a) => normalize(a.path)));
  return plan.artifacts.filter((path) => !named.has(normalize(path))).map((path) => `${path} is not in Earthly's output summary (no "Artifact ... output as ${path}"): Earthly did not write it in this run`);
}

/**
 * The files: each there, an ISO checked as a device uses it (when `iso` says what it must hold)
 * and agreeing with its .sha256. Paths are relative to `cwd` or absolute.
 */
export async function checkArtifacts(paths: readonly string[], cwd: string, signal?: AbortSignal, iso?: IsoExpectation): Promise<{ artifacts: ArtifactRecord[]; problems: string[] }> {
  const problems: string[] = [];
  const artifacts: ArtifactRecord[] = [];
  const isoProblems: string[] = [];
  for (const path of paths) {
    const found = await record(cwd, path, signal, iso, isoProblems);
    if (found) artifacts.push(found);
    else problems.push(`${path} is missing`);
  }
  for (const isoPath of paths.filter((p) => p.endsWith(".iso"))) {
    const isoRecord = artifacts.find((a) => a.path === isoPath);
    const sumPath = `${isoPath}.sha256`;
    if (!isoRecord || !artifacts.some((a) => a.path === sumPath)) continue;
    let text: string;
    try {
      text = (await readRegularFile(resolve(cwd, sumPath), 64 * 1024)).toString("utf8");
    } catch (error) {
      problems.push(`${sumPath} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    const parsed = parseSha256File(text);
    if (!parsed) problems.push(`${sumPath} does not hold a sha256 sum`);
    else if (parsed.sum !== isoRecord.sha256) problems.push(`${sumPath} says ${parsed.sum} but ${isoPath} hashes to ${isoRecord.sha256}`);
    else if (parsed.name !== undefined && basename(parsed.name) !== basename(isoPath)) problems.push(`${sumPath} names ${parsed.name}, not ${basename(isoPath)}`);
  }
  problems.push(...isoProblems);
  return { artifacts, problems };
}

/** Every planned image in Earthly's summary: output to the local Docker, or pushed with --push. */
export function checkImageSummary(plan: Pick<BuildPlan, "images">, outcome: Pick<EarthlyOutcome, "images" | "pushed">): { images: ImageRecord[]; problems: string[] } {
  const problems: string[] = [];
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
  return { images, problems };
}

/**
 * Checks everything and lists every problem; does not throw. After `signal` fires, what it returns
 * means nothing: the caller, which fired it, ends the run instead.
 */
export async function checkOutputs(plan: BuildPlan, cwd: string, outcome: EarthlyOutcome, signal?: AbortSignal, iso?: IsoExpectation): Promise<Verification> {
  const files = await checkArtifacts(plan.artifacts, cwd, signal, iso);
  const summary = checkImageSummary(plan, outcome);
  return { artifacts: files.artifacts, images: summary.images, problems: [...files.problems, ...summary.problems] };
}
