// Step one of a build: the configuration resolved and checked (files too), the runner prepared,
// the plan made. Nothing is written; a dry run stops after this.
import { secretPart } from "../config/resolve.js";
import { loadWorkspaceConfig } from "../config/earthfile-args.js";
import { checkFiles } from "../config/files.js";
import type { Config, ResolveOptions, ResolvedConfig } from "../config/types.js";
import { checkPassThrough, maskArgv } from "../earthly/args.js";
import { ENGINE_NAMES } from "../earthly/engine.js";
import type { RunnerStrategy } from "../earthly/runner.js";
import { createStrategy, DEFAULT_RUNNER_SETTINGS, helperCommands, imageCommands, needsHelper, plannedHelperAddress, prepareRunner, type PreparedRunner, type RunnerSettings } from "../earthly/runner-setup.js";
import { ConfigError, EnvironmentError } from "../errors.js";
import { localImageCommands } from "../image/commands.js";
import { createPlan, selectK8sVersions, type BuildPlan, type PlannedProcess } from "../plan/plan.js";
import { BUILDS_ISO, BUILDS_PROVIDERS, type BuildCommand } from "../plan/targets.js";
import { planStaging, type Staging } from "../workspace/stage.js";
import { bootArgs, MACHINES } from "../boot/machines.js";

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
  const request: ResolveOptions = { ...options.request, builds: { providers: BUILDS_PROVIDERS[options.command], iso: BUILDS_ISO[options.command] } };
  const resolved = await loadWorkspaceConfig(request);
  checkPassThrough(options.earthlyFlags);
  // --k8s-version is part of the configuration: refused now, before Docker or Earthly is asked anything.
  if (BUILDS_PROVIDERS[options.command]) selectK8sVersions(resolved, options.k8sVersions);
  // Before Docker is asked anything: a missing file is a configuration error (exit 2), nothing ran.
  const staging = planStaging(resolved.config, request.cwd, BUILDS_ISO[options.command], resolved.sources);
  // The same file checks as `canvos validate`, now rather than forty minutes in: an ISO carrying
  // user-data with the template's placeholder token installs devices that never register.
  const files = await checkFiles(resolved.config, request.cwd, { iso: BUILDS_ISO[options.command], sources: resolved.sources });
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
  plan.processes = plannedProcesses(plan, prepared, options.runner ?? DEFAULT_RUNNER_SETTINGS, resolved.config, request, options.boot);
  if (options.boot !== undefined && !options.dryRun) {
    // Said now, not after the build: --boot without QEMU would fail forty minutes in.
    const { bootPrerequisites } = await import("../boot/qemu.js");
    const needs = bootPrerequisites(resolved.config.ARCH, request.env);
    if (needs.missing.length > 0) throw new EnvironmentError(`--boot needs ${needs.missing.join(", ")}, which this machine lacks`, `install QEMU and the UEFI firmware: apt-get install ${needs.packages}`);
  }
  return { plan, resolved, prepared, staging, luetPasswords: files.secrets };
}

/**
 * What the run will start, in order, built by the same functions that start it: the Earthly
 * image's check, the proxy helper's life, Earthly itself (natively or as `docker run ...`), its
 * version, the image checks, --boot's QEMU. Secrets by name only; the random name of Earthly's
 * container, the helper's published port and QEMU's accelerator are only known when they exist.
 */
function plannedProcesses(plan: BuildPlan, prepared: PreparedRunner, settings: RunnerSettings, config: Config, request: ResolveOptions, boot: BuildOptions["boot"]): PlannedProcess[] {
  const { cwd, env } = request;
  const title = ENGINE_NAMES[prepared.engine].title;
  const docker = (purpose: string, args: readonly string[], extra: Partial<PlannedProcess> = {}): PlannedProcess => ({ purpose, argv: ["docker", ...args], env: [], ...extra });
  const processes: PlannedProcess[] = [];
  if (prepared.kind === "docker" && prepared.image !== undefined) {
    const image = imageCommands(prepared.image);
    processes.push(docker(`is the ${title} image here`, image.inspect), docker(`pull the ${title} image`, image.pull, { when: "only if it is not here" }));
  }
  const helper = needsHelper(config, settings) ? helperCommands(config, settings, cwd, prepared.engine) : undefined;
  if (helper !== undefined) {
    processes.push(docker("remove a BuildKit helper an earlier run may have left", helper.remove));
    processes.push(docker("start the BuildKit helper for proxy mode", helper.run, { env: Object.keys(helper.proxy) }));
    if (helper.installCert !== undefined) processes.push(docker("install PROXY_CERT_PATH in the helper", helper.installCert));
    processes.push(docker("ask which port the helper listens on", helper.port));
  }
  const secrets = [...new Set(settings.secrets)];
  const setup = createStrategy(prepared, settings, env, Object.fromEntries(secrets.map((name) => [name, ""])), helper !== undefined ? plannedHelperAddress(cwd) : undefined, "canvos-earthly-<random>");
  const earthly = { earthly: prepared.earthly, flags: plan.flags, target: plan.target, buildArgs: plan.buildArgs, secretKeys: plan.secretKeys, cwd, env: setup.env };
  const build = setup.strategy.build(earthly);
  // What canvos adds to the environment it was given: secrets by name, the rest (a BuildKit host) with its value.
  const added = Object.keys(build.env).filter((key) => !secrets.includes(key) && build.env[key] !== env[key]);
  processes.push({
    purpose: prepared.kind === "docker" ? `${title} ${plan.target}, in its container` : `${title} ${plan.target}`,
    argv: maskArgv([build.file, ...build.args], plan.secretKeys),
    env: [...secrets, ...added.map((key) => `${key}=${build.env[key] ?? ""}`)],
  });
  const version = setup.strategy.version(earthly);
  processes.push({ purpose: `${title}'s version, for the log and the manifest (while the build runs)`, argv: [version.file, ...version.args], env: [] });
  // The checks after Earthly: a pushed image is read through the registry's API, the others from the local Docker.
  for (const image of plan.images.filter((i) => !(i.push && plan.push))) {
    const check = localImageCommands(image.ref);
    processes.push(docker(`check ${image.ref}: its platform`, check.inspect), docker(`check ${image.ref}: its /etc/os-release`, check.save));
  }
  if (helper !== undefined) processes.push(docker("remove the BuildKit helper (after success, failure or Ctrl-C)", helper.remove));
  const iso = plan.artifacts.find((a) => a.endsWith(".iso"));
  const machine = MACHINES[config.ARCH];
  if (boot !== undefined && iso !== undefined && machine !== undefined) {
    processes.push({
      purpose: `--boot: the ISO in QEMU with UEFI firmware, until the kernel's banner (at most ${boot.timeoutSeconds} s)`,
      // The accelerator is decided then (KVM where it really runs), the firmware's variables copied to a temporary folder.
      argv: [machine.qemu, ...bootArgs(machine, iso, "<temp>/vars.fd", "<kvm or tcg>")],
      env: [],
    });
  }
  return processes;
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
