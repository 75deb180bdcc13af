// `canvos validate` as data: the resolved configuration with provenance, the files it names,
// and every problem found. Renderers decide how it looks.
import { ConfigError, type Problem } from "../errors.js";
import { PARAMETERS } from "./parameters.js";
import { checkFiles, type FileCheck } from "./files.js";
import { loadConfig, locate, maskValue, type ResolveExtras } from "./resolve.js";
import type { ResolveOptions, ResolvedConfig, Source } from "./types.js";

export interface ResolvedParameter {
  name: string;
  /** As it may be shown: sensitive parts masked. */
  value: string;
  source: Source["kind"];
  /** `.arg:7`, `--arch`, `$HTTP_PROXY`, or `default`. */
  from: string;
  /** Declared by the workspace's Earthfile only, not by canvos. */
  extra?: true;
}

export interface Validation {
  valid: boolean;
  argFile: string | null;
  parameters: ResolvedParameter[];
  files: FileCheck[];
  problems: Problem[];
}

export async function validateWorkspace(request: ResolveOptions, extras: ResolveExtras = {}): Promise<{ validation: Validation; resolved?: ResolvedConfig }> {
  let resolved: ResolvedConfig;
  try {
    resolved = await loadConfig(request, extras);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { validation: { valid: false, argFile: null, parameters: [], files: [], problems: [...error.problems] } };
  }
  const report = await checkFiles(resolved.config, request.cwd);
  const problems = [...resolved.warnings, ...report.problems];
  const parameters: ResolvedParameter[] = PARAMETERS.map((spec) => {
    const source = resolved.sources[spec.name] ?? { kind: "default" as const };
    const value = resolved.config[spec.name as keyof typeof resolved.config];
    return { name: spec.name, value: maskValue(spec.name, String(value), resolved.secretKeys), source: source.kind, from: locate(source) };
  });
  for (const [name, value] of Object.entries(resolved.extra)) {
    const source = resolved.extraSources[name] ?? { kind: "default" as const };
    parameters.push({ name, value: maskValue(name, value, resolved.secretKeys), source: source.kind, from: locate(source), extra: true });
  }
  return {
    validation: { valid: !problems.some((p) => p.severity === "error"), argFile: resolved.argFile, parameters, files: report.files, problems },
    resolved,
  };
}
