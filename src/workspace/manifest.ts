// build/canvos-manifest.<command>.json: what the last run of a command was asked to do and what it
// made, for people and tools that pick up the artifacts later. One per command, so `canvos iso`
// then `canvos provider` leaves both records. Sensitive values are masked, as everywhere canvos writes.
import { renameSync, rmSync, mkdirSync } from "node:fs";
import { jsonText } from "../text.js";
import { unpredictableSibling, writeExclusiveSync } from "./safe-fs.js";
import { join } from "node:path";
import { maskValue } from "../config/resolve.js";
import { BuildError, ConfigError, EnvironmentError, isCanvosError } from "../errors.js";
import { fsReason, isFsError } from "./fs-errors.js";
import type { ResolvedConfig } from "../config/types.js";
import { maskArgv } from "../earthly/args.js";
import type { BuildPlan } from "../plan/plan.js";
import type { ArtifactRecord, ImageRecord } from "../verify/verify.js";

/** The record of the last run of `command`, relative to the workspace. */
export function manifestPathFor(command: string): string {
  return `build/canvos-manifest.${command}.json`;
}

export interface Manifest {
  canvos: string;
  command: string;
  status: "succeeded" | "failed" | "interrupted";
  config: Record<string, string>;
  earthly: { version: string | null; command: string[] };
  k8sVersions: string[];
  images: ImageRecord[];
  artifacts: ArtifactRecord[];
  log: string;
  start: string;
  end: string;
  durationSeconds: number;
  /** Why a run that did not succeed ended, as stderr said it, with the exit code it ended with. */
  error?: FailureRecord;
}

export interface FailureRecord {
  message: string;
  exitCode: number;
  problems?: { where: string; severity: string; message: string }[];
  details?: string[];
  hint?: string;
}

/** An error as the record holds it; anything not canvos's own is the internal error (exit 70) it becomes. */
export function failureRecord(error: unknown): FailureRecord {
  if (!isCanvosError(error)) return { message: `internal error: ${error instanceof Error ? error.message : String(error)}`, exitCode: 70 };
  return {
    message: error.message,
    exitCode: error.exitCode,
    ...(error instanceof ConfigError && error.problems.length > 0 ? { problems: error.problems.map((p) => ({ where: p.where, severity: p.severity, message: p.message })) } : {}),
    ...(error instanceof BuildError && error.details.length > 0 ? { details: [...error.details] } : {}),
    ...(error.hint !== undefined ? { hint: error.hint } : {}),
  };
}

export function maskedConfig(resolved: ResolvedConfig): Record<string, string> {
  const out: Record<string, string> = {};
  const all = { ...(resolved.config as unknown as Record<string, string | boolean>), ...resolved.extra };
  for (const [key, value] of Object.entries(all)) out[key] = maskValue(key, String(value), resolved.secretKeys);
  return out;
}

export interface ManifestInput {
  canvosVersion: string;
  plan: BuildPlan;
  resolved: ResolvedConfig;
  status: Manifest["status"];
  earthlyVersion: string | undefined;
  images: ImageRecord[];
  artifacts: ArtifactRecord[];
  log: string;
  start: Date;
  end: Date;
}

export function createManifest(input: ManifestInput): Manifest {
  return {
    canvos: input.canvosVersion,
    command: input.plan.command,
    status: input.status,
    config: maskedConfig(input.resolved),
    earthly: { version: input.earthlyVersion ?? null, command: maskArgv(input.plan.argv, input.plan.secretKeys) },
    k8sVersions: input.plan.k8sVersions,
    images: input.images,
    artifacts: input.artifacts,
    log: input.log,
    start: input.start.toISOString(),
    end: input.end.toISOString(),
    durationSeconds: Math.round((input.end.getTime() - input.start.getTime()) / 100) / 10,
  };
}

/** Written to a temporary name and renamed, so a reader never sees half a file. */
export function writeManifest(cwd: string, manifest: Manifest): string {
  const relative = manifestPathFor(manifest.command);
  const path = join(cwd, relative);
  try {
    mkdirSync(join(cwd, "build"), { recursive: true });
    // A fresh file under a name nobody can guess, renamed over the record (rename replaces a link, never follows it).
    const draft = unpredictableSibling(path);
    try {
      writeExclusiveSync(draft, jsonText(manifest));
      renameSync(draft, path);
    } catch (error) {
      rmSync(draft, { force: true });
      throw error;
    }
  } catch (error) {
    // A full disk or a read-only build/ is the user's to fix, not a bug in canvos.
    if (isFsError(error)) throw new EnvironmentError(`cannot write the build record ${path}: ${fsReason(error)}`, "free space in, or make writable, the workspace's build/ folder");
    throw error;
  }
  return relative;
}
