// The flags that say where and how Earthly runs, shared by the build commands. Loaded at start-up
// (command definitions), so it imports nothing heavier than commander.
import type { Command } from "commander";
import { ConfigError } from "../errors.js";
import { RUNNERS, type RunnerChoice } from "./runner-choice.js";
import type { RunnerSettings } from "./runner-setup.js";

/** commander's accumulator for a repeatable flag (--secret A --secret B). */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** --runner's value, checked here rather than by commander, whose own usage errors bypass canvos's exit codes. */
export function runnerChoice(value: string): RunnerChoice {
  if (!(RUNNERS as readonly string[]).includes(value)) throw new ConfigError(`--runner ${value} is not one of ${RUNNERS.join(", ")}`);
  return value as RunnerChoice;
}

export function addRunnerOptions(cmd: Command): Command {
  return cmd
    .option("--runner <runner>", "where Earthly runs: auto (a local Earthly if found, else Docker), native or docker", "auto")
    .option("--earthly-image <ref>", "the Earthly image of the docker runner (default: $SPECTRO_PUB_REPO/earthly/earthly:v0.8.5)")
    .option("--secret <NAME>", "a build secret: its value from $NAME, or asked for on a terminal; never on a command line (repeatable)", collect, [])
    .option("--buildkit-host <url>", "use a remote BuildKit (Earthly --buildkit-host), e.g. tcp://buildkit.example.com:8372")
    .option("--remote-cache <ref>", "Earthly's registry cache (--remote-cache; written with --push)")
    .option("--ci", "CI mode: Earthly --ci (strict, no interactive debugger) that still writes the ISO to build/");
}

export function runnerSettings(opts: Record<string, unknown>): RunnerSettings {
  const runner = runnerChoice(String(opts["runner"] ?? "auto"));
  const text = (key: string): string | undefined => (typeof opts[key] === "string" && opts[key] !== "" ? (opts[key] as string) : undefined);
  const secrets = Array.isArray(opts["secret"]) ? (opts["secret"] as unknown[]).map(String) : [];
  return {
    runner,
    earthlyImage: text("earthlyImage"),
    secrets,
    buildkitHost: text("buildkitHost"),
    remoteCache: text("remoteCache"),
    ci: opts["ci"] === true,
  };
}
