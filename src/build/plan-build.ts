// Step one of a build: the configuration resolved and checked (files too), the runner prepared,
// the plan made. Nothing is written; a dry run stops after this.
import { secretPart } from "../config/resolve.js";
import { loadWorkspaceConfig } from "../config/earthfile-args.js";
import { checkFiles } from "../config/files.js";
import type { ResolveOptions, ResolvedConfig } from "../config/types.js";
import { checkPassThrough } from "../earthly/args.js";
import type { RunnerStrategy } from "../earthly/runner.js";
import { DEFAULT_RUNNER_SETTINGS, prepareRunner, type PreparedRunner, type RunnerSettings } from "../earthly/runner-setup.js";
import { ConfigError, EnvironmentError } from "../errors.js";
import { createPlan, type BuildPlan } from "../plan/plan.js";
import { BUILDS_ISO, type BuildCommand } from "../plan/targets.js";
import { planStaging, type Staging } from "../workspace/stage.js";

export interface BuildOptions {
  command: BuildCommand;
  request: ResolveOptions;
  k8sVersions: readonly string[];
  push: boolean;
  noCache: boolean;
  earthlyFlags: readonly string[];
  earthlyBin: string | undefined;
  dryRun: boolean;
  json: boolean;
  verbose: boolean;
  /** Where Earthly runs (native or in Docker), secrets, remote BuildKit/cache, CI mode. */
  runner?: RunnerSettings;
  /** After the checks: boot the ISO in QEMU (src/boot/), within this many seconds. */
  boot?: { timeoutSeconds: number } | undefined;
}

export interface BuildContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
  strategy: RunnerStrategy;
}

export interface PlannedBuild {
  plan: BuildPlan;
  resolved: ResolvedConfig;
  prepared: PreparedRunner;
  staging: Staging;
  luetPasswords: string[];
}

export async function planBuild(options: BuildOptions, cancel?: AbortSignal): Promise<PlannedBuild> {
  const { request } = options;
  const resolved = await loadWorkspaceConfig(request);
  checkPassThrough(options.earthlyFlags);
  // Before Docker is asked anything: a missing file is a configuration error (exit 2), nothing ran.
  const staging = planStaging(resolved.config, request.cwd, BUILDS_ISO[options.command]);
  // The same file checks as `canvos validate`, now rather than forty minutes in: an ISO carrying
  // user-data with the template's placeholder token installs devices that never register.
  const files = await checkFiles(resolved.config, request.cwd, { iso: BUILDS_ISO[options.command] });
  const fileErrors = files.problems.filter((p) => p.severity === "error");
  if (fileErrors.length > 0) {
    throw new ConfigError(`${fileErrors.length} ${fileErrors.length === 1 ? "error" : "errors"} in the files the build uses; nothing was built`, files.problems);
  }
  // A local Earthly, or its image through Docker; a dry run shows what would run even where
  // neither is installed yet.
  const prepared = await prepareRunner(options.runner ?? DEFAULT_RUNNER_SETTINGS, {
    env: request.env,
    cwd: request.cwd,
    earthlyBin: options.earthlyBin,
    dryRun: options.dryRun,
    config: resolved.config,
    cancelSignal: cancel,
  });
  const plan = createPlan({
    command: options.command,
    resolved,
    earthly: prepared.earthly,
    k8sVersions: options.k8sVersions,
    push: options.push,
    noCache: options.noCache,
    // canvos's own flags (secrets by name, CI mode, remote BuildKit/cache) come after the user's were checked.
    earthlyFlags: [...options.earthlyFlags, ...prepared.flags],
    pathArgs: staging.args,
  });
  plan.warnings.push(...prepared.notes, ...files.problems);
  if (options.boot !== undefined && !options.dryRun) {
    // Said now, not after the build: --boot without QEMU would fail forty minutes in.
    const { bootPrerequisites } = await import("../boot/qemu.js");
    const needs = bootPrerequisites(resolved.config.ARCH, request.env);
    if (needs.missing.length > 0) throw new EnvironmentError(`--boot needs ${needs.missing.join(", ")}, which this machine lacks`, `install QEMU and the UEFI firmware: apt-get install ${needs.packages}`);
  }
  return { plan, resolved, prepared, staging, luetPasswords: files.secrets };
}

/**
 * The secret part of every build arg (secretPart, the one notion of "sensitive" that also masks
 * values and keeps them off Earthly's argv): a proxy URL's password, a token. Earthly's
 * own output must not show them either.
 */
export function sensitiveParts(args: Readonly<Record<string, string>>, secretKeys?: ReadonlySet<string>): string[] {
  const parts = new Set<string>();
  for (const [key, value] of Object.entries(args)) {
    const part = secretPart(key, value, secretKeys);
    if (part === undefined) continue;
    const secret = value.slice(part.start, part.end);
    if (secret === "") continue;
    parts.add(secret);
    try {
      // A URL's userinfo is percent-encoded; a tool that decodes it prints the plain password.
      parts.add(decodeURIComponent(secret));
    } catch {
      // Not valid percent-encoding: the literal form is all there is.
    }
  }
  return [...parts];
}
