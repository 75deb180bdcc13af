// `canvos validate` as data: the resolved configuration with provenance, the files it names,
// and every problem found. Renderers decide how it looks; doctor runs the same checks.
import type { Problem } from "../errors.js";
import { PARAMETERS } from "./parameters.js";
import { checkFiles, type FileCheck } from "./files.js";
import { locate, maskValue, resolveConfig, type ResolveExtras } from "./resolve.js";
import type { ResolveOptions, ResolvedConfig, Source } from "./types.js";

export interface ResolvedParameter {
  name: string;
  /** As it may be shown: sensitive parts masked. Also when it is invalid: the text that was given. */
  value: string;
  source: Source["kind"];
  /** `.arg:7`, `--arch`, `$HTTP_PROXY`, or `default`. */
  from: string;
  /** Declared by the workspace's Earthfile only, not by canvos. */
  extra?: true;
  /** The value is wrong: `problem` says why (the full problem, with its place, is in `problems`). */
  invalid?: true;
  problem?: string;
}

export interface Validation {
  valid: boolean;
  argFile: string | null;
  parameters: ResolvedParameter[];
  files: FileCheck[];
  problems: Problem[];
}

/** Every value, every file, every problem; `resolved` only when the configuration is valid. */
export async function validateWorkspace(request: ResolveOptions, extras: ResolveExtras = {}): Promise<{ validation: Validation; resolved?: ResolvedConfig; partial: Partial<ResolvedConfig["config"]> }> {
  const resolution = await resolveConfig(request, extras);
  const { resolved: r, text, invalid, errors } = resolution;
  // The files are checked as far as the values that name them are valid.
  const report = await checkFiles(r.config, request.cwd, { sources: r.sources });
  const problems = [...errors, ...r.warnings, ...report.problems];
  const row = (name: string, value: string, source: Source | undefined): ResolvedParameter => {
    const why = invalid.get(name);
    return {
      name,
      value: maskValue(name, value, r.secretKeys),
      source: (source ?? { kind: "default" }).kind,
      from: locate(source),
      ...(why !== undefined ? { invalid: true as const, problem: why.join("; ") } : {}),
    };
  };
  const parameters: ResolvedParameter[] = PARAMETERS.map((spec) => row(spec.name, text[spec.name] ?? "", r.sources[spec.name]));
  for (const [name, value] of Object.entries(r.extra)) parameters.push({ ...row(name, value, r.extraSources[name]), extra: true });
  const valid = !problems.some((p) => p.severity === "error");
  return {
    validation: { valid, argFile: r.argFile, parameters, files: report.files, problems },
    ...(errors.length === 0 ? { resolved: r as ResolvedConfig } : {}),
    partial: r.config,
  };
}
