// Earthly in its container: what users without a local Earthly run (earthly.md, last section).
// This module only builds invocations; runner.ts spawns them.
import { existsSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { homedir } from "node:os";
import { join } from "node:path";
import { earthlyArgs } from "./args.js";
import { engineBuildkitImage, engineImage, type Engine } from "./engine.js";
import { childEnv, type EarthlyInvocation, type RunnerStrategy, type ToolResult } from "./runner.js";

export function defaultEarthlyImage(spectroPubRepo: string | undefined, engine: Engine = "earthly"): string {
  return engineImage(engine, spectroPubRepo);
}

export function defaultBuildkitImage(spectroPubRepo: string | undefined, engine: Engine = "earthly"): string {
  return engineBuildkitImage(engine, spectroPubRepo);
}

/** Where Earthly keeps its temporary state and cache inside the container; a volume survives runs. */
export const EARTHLY_TMP_VOLUME = "earthly-tmp";
export const WORKSPACE_IN_CONTAINER = "/workspace";

export interface DockerRunnerOptions {
  image: string;
  /** Secret names: each goes in as `-e NAME`, its value only in the docker CLI's environment. */
  secrets: readonly string[];
  /** Extra `-e NAME` variables (proxy settings) whose values stay in the environment too. */
  passEnv?: readonly string[];
  /** Extra variables set to a fixed, non-secret value (`-e NAME=value`). */
  setEnv?: Readonly<Record<string, string>>;
  /** Join another container's network (the proxy-mode BuildKit helper's). */
  network?: string;
  /** Earthly's global configuration (the image applies GLOBAL_CONFIG with `earthly config global`). */
  globalConfig?: string;
  /** Unique per run, so two workspaces never fight over a name. */
  containerName?: string;
  docker?: string;
}

export function earthlyContainerName(): string {
  return `canvos-earthly-${randomBytes(4).toString("hex")}`;
}

/** ~/.docker/config.json, honouring DOCKER_CONFIG as the docker CLI does. */
export function dockerConfigFile(env: NodeJS.ProcessEnv): string {
  const dir = env["DOCKER_CONFIG"];
  return join(dir !== undefined && dir !== "" ? dir : join(env["HOME"] ?? homedir(), ".docker"), "config.json");
}

export function dockerRunner(options: DockerRunnerOptions): RunnerStrategy {
  const docker = options.docker ?? "docker";
  const name = options.containerName ?? earthlyContainerName();
  const base = (env: NodeJS.ProcessEnv, cwd: string, containerName: string): string[] => {
    const args = [
      "run",
      "--rm",
      "--privileged",
      "--name",
      containerName,
      "-v",
      "/var/run/docker.sock:/var/run/docker.sock",
      "-v",
      `${cwd}:${WORKSPACE_IN_CONTAINER}`,
      "-w",
      WORKSPACE_IN_CONTAINER,
      "-v",
      `${EARTHLY_TMP_VOLUME}:/tmp/earthly`,
      "-e",
      `GLOBAL_CONFIG=${options.globalConfig ?? "{disable_analytics: true}"}`,
    ];
    if (options.network !== undefined) args.push("--network", options.network);
    // Mounting a missing file makes Docker create a directory in its place (the reference's bug).
    const config = dockerConfigFile(env);
    if (existsSync(config)) args.push("-v", `${config}:/root/.docker/config.json:ro`);
    for (const [key, value] of Object.entries(options.setEnv ?? {})) args.push("-e", `${key}=${value}`);
    for (const variable of [...(options.passEnv ?? []), ...options.secrets]) args.push("-e", variable);
    return args;
  };
  return {
    name: "docker",
    build(request): EarthlyInvocation {
      return {
        file: docker,
        args: [...base(request.env, request.cwd, name), options.image, ...earthlyArgs(request.flags, request.target, request.buildArgs, request.secretKeys)],
        env: childEnv(request.env),
        cwd: request.cwd,
        container: { docker, name },
      };
    },
    version(request): EarthlyInvocation {
      // NO_BUILDKIT: the image's entrypoint would otherwise refuse to run unprivileged.
      return { file: docker, args: ["run", "--rm", "-e", "NO_BUILDKIT=1", options.image, "--version"], env: childEnv(request.env), cwd: request.cwd };
    },
  };
}

/** What a failed docker command said, in one line: the line of its error that users need to see. */
export function dockerMessage(result: ToolResult): string {
  if (result.notFound) return "the docker command is not on PATH";
  const lines = `${result.stderr}\n${result.stdout}`
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("Run 'docker") && !l.startsWith("See 'docker"));
  const text = lines.find((l) => /error|denied|cannot|unable|permission/i.test(l)) ?? lines[0] ?? "";
  return text === "" ? `exit code ${result.exitCode ?? "unknown"}` : text;
}

/** A name per workspace for the BuildKit helper, so a leftover from an earlier run is found again. */
export function buildkitHelperName(cwd: string): string {
  return `canvos-buildkitd-${createHash("sha256").update(cwd).digest("hex").slice(0, 10)}`;
}
