// The flags that say where and how Earthly runs, shared by the build commands. Loaded at start-up
// (command definitions), so it imports nothing heavier than commander.
import type { Command } from "commander";
import { ConfigError } from "../errors.js";
import { imageReferenceProblem } from "../config/image-ref.js";
import { quote } from "../text.js";
import { checkSecretNames } from "./secret-names.js";
import { ENGINE_CHOICES, RUNNERS, type EngineChoice, type RunnerChoice } from "./runner-choice.js";
import type { RunnerSettings } from "./runner-setup.js";

/** commander's accumulator for a repeatable flag (--secret A --secret B). */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** --runner's value, checked here rather than by commander, whose own usage errors bypass canvos's exit codes. */
export function runnerChoice(value: string): RunnerChoice {
  if (!(RUNNERS as readonly string[]).includes(value)) throw new ConfigError(`--runner ${value} is not one of ${RUNNERS.join(", ")}`);
  return value as RunnerChoice;
}

/**
 * The flags that choose where Earthly runs and from which images: the build commands take them,
 * and `images` and `mirror` take the same ones, since which images a build pulls depends on them.
 */
export function addRunnerChoiceOptions(cmd: Command): Command {
  return cmd
    .option("--runner <runner>", "where Earthly runs: auto (a local Earthly if found, else Docker), native or docker", "auto")
    .option("--engine <engine>", "Earthly or its fork EarthBuild: auto (the local binary's; Earthly in Docker), earthly or earthbuild (default: $CANVOS_ENGINE, else auto)")
    .option("--earthly-image <ref>", "the image of the docker runner (default: $SPECTRO_PUB_REPO/earthly/earthly:v0.8.5; earthbuild/earthbuild:v0.8.18 for --engine earthbuild)")
    .option("--buildkit-image <ref>", "the BuildKit image of the proxy-mode helper (default: $SPECTRO_PUB_REPO/earthly/buildkitd:v0.8.5; earthbuild/buildkitd:v0.8.18 for --engine earthbuild)")
    .option("--buildkit-host <url>", "use a remote BuildKit (Earthly --buildkit-host), e.g. tcp://buildkit.example.com:8372");
}

export function addRunnerOptions(cmd: Command): Command {
  return addRunnerChoiceOptions(cmd)
    .option("--secret <NAME>", "a build secret: its value from $NAME, or asked for on a terminal; never on a command line (repeatable)", collect, [])
    .option("--remote-cache <ref>", "Earthly's registry cache (--remote-cache; written with --push)")
    .option("--ci", "CI mode: Earthly --ci (strict, no interactive debugger) that still writes the ISO to build/");
}

/** --engine, else CANVOS_ENGINE, else auto; a wrong value is a usage error (exit 2), not a guess. */
export function engineChoice(value: unknown, env: NodeJS.ProcessEnv): EngineChoice {
  const fromEnv = env["CANVOS_ENGINE"];
  const [source, text] = typeof value === "string" && value !== "" ? ["--engine", value] : fromEnv !== undefined && fromEnv !== "" ? ["CANVOS_ENGINE", fromEnv] : ["--engine", "auto"];
  if (!(ENGINE_CHOICES as readonly string[]).includes(text)) throw new ConfigError(`${source} ${text} is not one of ${ENGINE_CHOICES.join(", ")}`);
  return text as EngineChoice;
}

export function runnerSettings(opts: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): RunnerSettings {
  const runner = runnerChoice(String(opts["runner"] ?? "auto"));
  const engine = engineChoice(opts["engine"], env);
  const text = (key: string): string | undefined => (typeof opts[key] === "string" && opts[key] !== "" ? (opts[key] as string) : undefined);
  const secrets = Array.isArray(opts["secret"]) ? (opts["secret"] as unknown[]).map(String) : [];
  // Checked before anything plans or prints: a dry run's JSON carries the flags canvos passes.
  checkSecretNames(secrets);
  const earthlyImage = checkImageFlag("--earthly-image", text("earthlyImage"));
  const buildkitImage = checkImageFlag("--buildkit-image", text("buildkitImage"));
  const remoteCache = checkImageFlag("--remote-cache", text("remoteCache"));
  const buildkitHost = text("buildkitHost");
  if (buildkitHost !== undefined && !/^[a-z][a-z0-9+.-]*:\/\/[^\s]+$/.test(buildkitHost)) {
    throw new ConfigError("invalid --buildkit-host", [{ where: "--buildkit-host", severity: "error", message: `${quote(buildkitHost)} is not a BuildKit address like tcp://buildkit.example.com:8372` }]);
  }
  return {
    runner,
    engine,
    earthlyImage,
    buildkitImage,
    secrets,
    buildkitHost,
    remoteCache,
    ci: opts["ci"] === true,
  };
}

/**
 * An image reference given as a flag, checked: it reaches docker's or Earthly's command line, where
 * a value starting with `-` would be read as an option.
 */
export function checkImageFlag(flag: string, value: string | undefined): string | undefined {
  const problem = value === undefined ? undefined : imageReferenceProblem(value);
  if (problem !== undefined) throw new ConfigError(`invalid ${flag}`, [{ where: flag, severity: "error", message: problem }]);
  return value;
}
