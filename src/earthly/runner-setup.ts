// Everything about *where* Earthly runs, decided before the build starts: the runner (a local
// Earthly or its container), the flags canvos adds for secrets, remote BuildKit, remote cache and
// CI mode, and the BuildKit helper container that proxy mode needs.
import { resolve as resolvePath } from "node:path";
import type { Config } from "../config/types.js";
import { EnvironmentError, InterruptedError, type Problem } from "../errors.js";
import { buildkitHelperName, defaultBuildkitImage, defaultEarthlyImage, dockerMessage, dockerRunner, EARTHLY_TMP_VOLUME } from "./docker-runner.js";
import { dockerEngine, engineOfBinary, ENGINE_NAMES, envName, type Engine, type EngineChoice } from "./engine.js";
import { locateEarthly } from "./locate.js";
import type { RunnerChoice } from "./runner-choice.js";
import { nativeRunner, runTool, type RunnerStrategy, type ToolResult } from "./runner.js";

export interface RunnerSettings {
  runner: RunnerChoice;
  /** Earthly or EarthBuild; `auto`: the local binary's, Earthly's image for the docker runner. */
  engine?: EngineChoice | undefined;
  earthlyImage?: string | undefined;
  buildkitImage?: string | undefined;
  /** Names only: values come from the environment or a prompt (secrets.ts). */
  secrets: readonly string[];
  buildkitHost?: string | undefined;
  remoteCache?: string | undefined;
  /** CI mode: Earthly's --ci, but with --output so the ISO still lands in build/. */
  ci: boolean;
}

export const DEFAULT_RUNNER_SETTINGS: RunnerSettings = { runner: "auto", secrets: [], ci: false };

export interface PreparedRunner {
  kind: "native" | "docker";
  engine: Engine;
  /** What the plan shows as the program: the local binary, or `earthly` inside the image. */
  earthly: string;
  image?: string;
  /** Earthly global flags canvos adds (after the user's pass-through flags were checked). */
  flags: string[];
  notes: Problem[];
}

export interface PrepareOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  earthlyBin: string | undefined;
  dryRun: boolean;
  config: Config;
  /** A Ctrl-C (SignalWatch.cancelSignal): ends a docker pull at once instead of after it. */
  cancelSignal?: AbortSignal | undefined;
}

export function runnerFlags(settings: RunnerSettings): string[] {
  const flags: string[] = [];
  // Earthly's --ci is --no-output --strict: alone it would drop the ISO (earthly.md).
  if (settings.ci) flags.push("--ci", "--output");
  if (settings.buildkitHost !== undefined) flags.push("--buildkit-host", settings.buildkitHost);
  if (settings.remoteCache !== undefined) flags.push("--remote-cache", settings.remoteCache);
  for (const name of new Set(settings.secrets)) flags.push("--secret", name);
  return flags;
}

const docker = (env: NodeJS.ProcessEnv, args: readonly string[], extra: { timeoutMs?: number; input?: string; cancel?: AbortSignal | undefined } = {}): Promise<ToolResult> =>
  runTool("docker", args, { env, timeoutMs: extra.timeoutMs ?? 60_000, input: extra.input, cancelSignal: extra.cancel });

// A function, not `cancel?.aborted`: TypeScript would keep a property's narrowing across an await.
function aborted(cancel: AbortSignal | undefined): boolean {
  return cancel?.aborted === true;
}

/** The error for a step cut short by a signal (SignalWatch aborts with the signal as the reason). */
export function interruptedBy(cancel: AbortSignal | undefined): InterruptedError {
  const reason: unknown = cancel?.reason;
  return new InterruptedError(reason === "SIGTERM" || reason === "SIGHUP" ? reason : "SIGINT");
}

/** How canvos asks Docker for the Earthly image: is it here, and if not, the pull. */
export function imageCommands(image: string): { inspect: string[]; pull: string[] } {
  return { inspect: ["image", "inspect", "--format", "{{.Id}}", image], pull: ["pull", "--quiet", image] };
}

/** The image must be here before the build starts, so a registry problem is said plainly (exit 3), not mid-build. */
async function ensureImage(image: string, env: NodeJS.ProcessEnv, cancel: AbortSignal | undefined): Promise<string | undefined> {
  const commands = imageCommands(image);
  const have = await docker(env, commands.inspect, { timeoutMs: 30_000, cancel });
  if (aborted(cancel)) throw interruptedBy(cancel);
  if (have.exitCode === 0) return undefined;
  if (have.notFound) return dockerMessage(have);
  const pulled = await docker(env, commands.pull, { timeoutMs: 30 * 60_000, cancel });
  if (aborted(cancel)) throw interruptedBy(cancel);
  return pulled.exitCode === 0 ? undefined : dockerMessage(pulled);
}

export async function prepareRunner(settings: RunnerSettings, options: PrepareOptions): Promise<PreparedRunner> {
  const flags = runnerFlags(settings);
  const choice = settings.engine ?? "auto";
  const engine = dockerEngine(choice);
  const image = settings.earthlyImage ?? defaultEarthlyImage(options.config.SPECTRO_PUB_REPO, engine);
  const binary = ENGINE_NAMES[engine].binary;
  const notes: Problem[] = [];
  let notFound: EnvironmentError | undefined;
  if (settings.runner !== "docker") {
    try {
      const located = locateEarthly({ flag: options.earthlyBin, env: options.env, cwd: options.cwd });
      // An explicit --engine wins: a renamed binary cannot be told by its name.
      return { kind: "native", engine: choice === "auto" ? engineOfBinary(located.path) : choice, earthly: located.path, flags, notes };
    } catch (error) {
      if (!(error instanceof EnvironmentError)) throw error;
      // An explicit --earthly-bin / CANVOS_EARTHLY_BIN that is wrong is an error, not a reason to switch.
      const explicit = (options.earthlyBin ?? "") !== "" || (options.env["CANVOS_EARTHLY_BIN"] ?? "") !== "";
      if (settings.runner === "native" || explicit) {
        if (options.dryRun) {
          notes.push({ where: "earthly", severity: "warning", message: `${error.message} (${error.hint ?? ""})` });
          return { kind: "native", engine, earthly: binary, flags, notes };
        }
        throw error;
      }
      notFound = error;
    }
  }
  if (options.dryRun) {
    if (notFound) notes.push({ where: "earthly", severity: "warning", message: `${notFound.message}; canvos would run ${ENGINE_NAMES[engine].title} in Docker (${image})` });
    notes.push({ where: "runner", severity: "warning", message: `docker: ${ENGINE_NAMES[engine].title} runs in ${image}` });
    return { kind: "docker", engine, earthly: binary, image, flags, notes };
  }
  const problem = await ensureImage(image, options.env, options.cancelSignal);
  if (problem !== undefined) {
    const why = `Docker cannot provide the Earthly image ${image}: ${problem}`;
    if (notFound) throw new EnvironmentError(`${notFound.message}, and ${why}`, `${notFound.hint ?? ""}; or make the image available (docker pull, --earthly-image, SPECTRO_PUB_REPO for a mirror)`);
    throw new EnvironmentError(why, "check Docker (canvos doctor), then docker pull the image, or point --earthly-image / SPECTRO_PUB_REPO at a mirror");
  }
  return { kind: "docker", engine, earthly: binary, image, flags, notes };
}

/** Proxy mode: any proxy variable or a CA certificate in the resolved configuration. */
export function proxyEnv(config: Config): Record<string, string> | undefined {
  const proxy: Record<string, string> = {};
  for (const [name, value] of [["HTTP_PROXY", config.HTTP_PROXY], ["HTTPS_PROXY", config.HTTPS_PROXY], ["NO_PROXY", config.NO_PROXY]] as const) {
    if (value === "") continue;
    // Tools disagree on the case they read; give both.
    proxy[name] = value;
    proxy[name.toLowerCase()] = value;
  }
  return Object.keys(proxy).length > 0 || config.PROXY_CERT_PATH !== "" ? proxy : undefined;
}

/** Where Earthly finds the BuildKit helper; known before the helper runs, but for its published port. */
export interface HelperAddress {
  name: string;
  /**
   * For a local Earthly: `tcp://0.0.0.0:<port published on 127.0.0.1>`. Earthly manages any BuildKit
   * at 127.0.0.1, localhost or docker-container:// itself (it would start its own earthly-buildkitd);
   * 0.0.0.0 reaches this machine yet counts as remote, so Earthly uses the helper as it is.
   */
  host: string;
  /** For Earthly in its container, which joins the helper's network: BuildKit's own port. */
  containerHost: string;
}

export interface BuildkitHelper extends HelperAddress {
  stop(): Promise<void>;
}

/** BuildKit's TCP port inside the earthly/buildkitd image. */
const BUILDKIT_PORT = 8372;

export const HELPER_CERT_PATH = "/usr/local/share/ca-certificates/canvos-proxy.crt";

/** The docker commands of the helper's life, in the order they run; the dry run shows the same. */
export interface HelperCommands {
  name: string;
  image: string;
  /** The proxy variables the helper gets by name (`-e NAME`): their values only in docker's environment. */
  proxy: Record<string, string>;
  /** Removes a helper an earlier run left (and, at the end, this run's). */
  remove: string[];
  run: string[];
  installCert: string[] | undefined;
  port: string[];
}

export function helperCommands(config: Config, settings: RunnerSettings, cwd: string, engine: Engine = "earthly"): HelperCommands {
  const name = buildkitHelperName(cwd);
  const image = settings.buildkitImage ?? defaultBuildkitImage(config.SPECTRO_PUB_REPO, engine);
  const proxy = proxyEnv(config) ?? {};
  // TCP without TLS (the reference's settings), published on loopback only: an open privileged
  // BuildKit on the network would let anyone run anything on this machine.
  const run = ["run", "-d", "--privileged", "--name", name, "--label", "canvos.helper=buildkitd", "-v", `${EARTHLY_TMP_VOLUME}:/tmp/earthly:rw`];
  run.push("-e", "BUILDKIT_TCP_TRANSPORT_ENABLED=true", "-e", "BUILDKIT_TLS_ENABLED=false", "-p", `127.0.0.1::${BUILDKIT_PORT}`);
  // Proxy URLs can hold passwords: values travel in the docker CLI's environment, names in argv.
  for (const variable of Object.keys(proxy)) run.push("-e", variable);
  if (config.PROXY_CERT_PATH !== "") run.push("-v", `${resolvePath(cwd, config.PROXY_CERT_PATH)}:${HELPER_CERT_PATH}:ro`);
  run.push(image);
  return {
    name,
    image,
    proxy,
    remove: ["rm", "-f", name],
    run,
    installCert: config.PROXY_CERT_PATH !== "" ? ["exec", name, "update-ca-certificates"] : undefined,
    port: ["port", name, `${BUILDKIT_PORT}/tcp`],
  };
}

/** The helper's address before it runs: for a local Earthly, the port Docker publishes is only known then. */
export function plannedHelperAddress(cwd: string): HelperAddress {
  return { name: buildkitHelperName(cwd), host: "tcp://0.0.0.0:<published port>", containerHost: `tcp://0.0.0.0:${BUILDKIT_PORT}` };
}

/**
 * Starts the BuildKit helper with the proxy settings and the CA certificate installed. A helper left
 * by an earlier run in this workspace (a crash, a kill -9) is removed first: its settings may be stale.
 */
export async function startBuildkitHelper(config: Config, settings: RunnerSettings, env: NodeJS.ProcessEnv, cwd: string, cancel?: AbortSignal, engine: Engine = "earthly"): Promise<BuildkitHelper> {
  const commands = helperCommands(config, settings, cwd, engine);
  const { name, image } = commands;
  const helperEnv: NodeJS.ProcessEnv = { ...env, ...commands.proxy };
  await docker(env, commands.remove, { timeoutMs: 60_000, cancel });
  if (aborted(cancel)) throw interruptedBy(cancel);
  const started = await runTool("docker", commands.run, { env: helperEnv, timeoutMs: 30 * 60_000, cancelSignal: cancel });
  // Never cancelled: the clean-up must run after a Ctrl-C too.
  const stop = async (): Promise<void> => {
    await docker(env, commands.remove, { timeoutMs: 60_000 });
  };
  // A Ctrl-C mid-start: the container may exist already; it goes before canvos does.
  const stopIfCancelled = async (): Promise<void> => {
    if (!aborted(cancel)) return;
    await stop();
    throw interruptedBy(cancel);
  };
  await stopIfCancelled();
  if (started.exitCode !== 0) {
    await stop();
    throw new EnvironmentError(`cannot start the BuildKit helper container for proxy mode (${image}): ${dockerMessage(started)}`, "check Docker (canvos doctor); the helper needs privileged containers and the buildkitd image (--buildkit-image, SPECTRO_PUB_REPO)");
  }
  if (commands.installCert !== undefined) {
    const installed = await docker(env, commands.installCert, { timeoutMs: 120_000, cancel });
    await stopIfCancelled();
    if (installed.exitCode !== 0) {
      await stop();
      throw new EnvironmentError(`cannot install the proxy CA certificate in the BuildKit helper: ${dockerMessage(installed)}`, "check that PROXY_CERT_PATH is a PEM certificate (canvos validate)");
    }
  }
  const port = await docker(env, commands.port, { timeoutMs: 30_000, cancel });
  await stopIfCancelled();
  const published = /:(\d+)\s*$/m.exec(port.stdout.split(/\r?\n/)[0] ?? "")?.[1];
  if (port.exitCode !== 0 || published === undefined) {
    await stop();
    throw new EnvironmentError(`cannot tell which port the BuildKit helper listens on: ${dockerMessage(port)}`);
  }
  return { ...plannedHelperAddress(cwd), host: `tcp://0.0.0.0:${published}`, stop };
}

export interface StrategySetup {
  strategy: RunnerStrategy;
  /** The child's environment: the caller's plus secret values and the BuildKit host. */
  env: NodeJS.ProcessEnv;
}

/** `containerName` is for the dry run, which cannot know the random name the real run picks. */
export function createStrategy(prepared: PreparedRunner, settings: RunnerSettings, env: NodeJS.ProcessEnv, secretValues: Readonly<Record<string, string>>, helper: HelperAddress | undefined, containerName?: string): StrategySetup {
  const childEnv: NodeJS.ProcessEnv = { ...env, ...secretValues };
  if (prepared.kind === "native") {
    if (helper) childEnv[envName(prepared.engine, "BUILDKIT_HOST")] = helper.host;
    return { strategy: nativeRunner, env: childEnv };
  }
  const setEnv: Record<string, string> = {};
  // The image starts its own BuildKit unless told one is elsewhere.
  if (helper) Object.assign(setEnv, { [envName(prepared.engine, "BUILDKIT_HOST")]: helper.containerHost, NO_BUILDKIT: "1" });
  else if (settings.buildkitHost !== undefined) setEnv["NO_BUILDKIT"] = "1";
  return {
    strategy: dockerRunner({
      image: prepared.image ?? "",
      secrets: Object.keys(secretValues),
      setEnv,
      // The helper speaks plain TCP; Earthly must not expect TLS from it.
      ...(helper ? { network: `container:${helper.name}`, globalConfig: "{disable_analytics: true, tls_enabled: false}" } : {}),
      ...(containerName !== undefined ? { containerName } : {}),
    }),
    env: childEnv,
  };
}

export interface StartedRunner extends StrategySetup {
  /** Values Earthly's output must never show: secret values and registry passwords. */
  redact: string[];
  helper: BuildkitHelper | undefined;
  /** Stops the BuildKit helper, if any; safe to call more than once. */
  stop(): Promise<void>;
}

/** Proxy mode; a remote BuildKit (--buildkit-host) has its own network settings: the helper is for local builds. */
export function needsHelper(config: Config, settings: RunnerSettings): boolean {
  return proxyEnv(config) !== undefined && settings.buildkitHost === undefined;
}

/**
 * Starts the BuildKit helper in proxy mode and builds the strategy around the secret values. Call stop() in a finally: success, failure and Ctrl-C alike.
 */
export async function startRunner(
  prepared: PreparedRunner,
  settings: RunnerSettings,
  config: Config,
  env: NodeJS.ProcessEnv,
  cwd: string,
  secretValues: Readonly<Record<string, string>>,
  alsoRedact: readonly string[] = [],
  cancel?: AbortSignal,
): Promise<StartedRunner> {
  const helper = needsHelper(config, settings) ? await startBuildkitHelper(config, settings, env, cwd, cancel, prepared.engine) : undefined;
  let stopped = false;
  const setup = createStrategy(prepared, settings, env, secretValues, helper);
  return {
    ...setup,
    redact: [...Object.values(secretValues), ...alsoRedact],
    helper,
    async stop() {
      if (stopped || !helper) return;
      stopped = true;
      await helper.stop();
    },
  };
}
