// Earthly and its community fork EarthBuild (earthly.md, "The community fork"): the same program
// under different names. canvos speaks to each in its own: v0.9 of EarthBuild drops the EARTHLY_* ones.
import { realpathSync } from "node:fs";
import { basename } from "node:path";

import type { EngineChoice } from "./runner-choice.js";

export type { EngineChoice } from "./runner-choice.js";
/** What the user asks for (EngineChoice): `auto` follows the local binary, and means Earthly for the docker runner. */
export type Engine = Exclude<EngineChoice, "auto">;

export interface EngineNames {
  /** What users call it, in messages. */
  title: string;
  /** The binary inside its image (and on PATH). */
  binary: string;
  /** Prefix of its environment variables (EARTHLY_BUILDKIT_HOST / EARTH_BUILDKIT_HOST). */
  envPrefix: string;
  /** The BuildKit container it starts and the cache volume it keeps. */
  daemonContainer: string;
  cacheVolume: string;
  /** The images of the docker runner: its own and the BuildKit one, sharing a tag. */
  repository: (spectroPubRepo: string | undefined) => string;
  tag: string;
}

function pubRepo(spectroPubRepo: string | undefined): string {
  const repo = (spectroPubRepo ?? "").replace(/\/+$/, "");
  // The reference's default never applied (facts.md): an empty prefix falls back to the real one.
  return repo === "" ? "gcr.io/spectro-images-public" : repo;
}

export const ENGINE_NAMES: Readonly<Record<Engine, EngineNames>> = {
  // The reference's Earthly release, from Spectro Cloud's mirror (SPECTRO_PUB_REPO).
  earthly: { title: "Earthly", binary: "earthly", envPrefix: "EARTHLY_", daemonContainer: "earthly-buildkitd", cacheVolume: "earthly-cache", repository: (repo) => `${pubRepo(repo)}/earthly`, tag: "v0.8.5" },
  // EarthBuild publishes on Docker Hub only; --earthly-image / --buildkit-image point elsewhere.
  earthbuild: { title: "EarthBuild", binary: "earth", envPrefix: "EARTH_", daemonContainer: "earth-buildkitd", cacheVolume: "earth-cache", repository: () => "earthbuild", tag: "v0.8.18" },
};

export function engineImage(engine: Engine, spectroPubRepo: string | undefined): string {
  const names = ENGINE_NAMES[engine];
  return `${names.repository(spectroPubRepo)}/${engine}:${names.tag}`;
}

export function engineBuildkitImage(engine: Engine, spectroPubRepo: string | undefined): string {
  const names = ENGINE_NAMES[engine];
  return `${names.repository(spectroPubRepo)}/buildkitd:${names.tag}`;
}

/** The engine's name for one of its variables: envName("earthbuild", "BUILDKIT_HOST") is EARTH_BUILDKIT_HOST. */
export function envName(engine: Engine, suffix: string): string {
  return `${ENGINE_NAMES[engine].envPrefix}${suffix}`;
}

/**
 * The engine of a binary by its name: `earth`, or a link to it (EarthBuild's `earthly` alias). Its
 * version line says it surely (engineOfVersion); this is what is known before running it.
 */
export function engineOfBinary(path: string): Engine {
  if (basename(path) === "earth") return "earthbuild";
  try {
    return basename(realpathSync(path)) === "earth" ? "earthbuild" : "earthly";
  } catch {
    return "earthly";
  }
}

/** `earth version v0.8.18 ...` or `earthly version v0.8.15 ...`: each names itself first. */
export function engineOfVersion(line: string): Engine | undefined {
  const name = /^\s*(\S+) version /.exec(line)?.[1];
  return name === "earth" ? "earthbuild" : name === "earthly" ? "earthly" : undefined;
}

/** The engine the docker runner uses: `auto` has no binary to go by, so it is the reference's Earthly. */
export function dockerEngine(choice: EngineChoice): Engine {
  return choice === "auto" ? "earthly" : choice;
}

/** Hints for the BuildKit failures (exit 6: unreachable, 7: crashed), in the engine's own names. */
export function buildkitHint(engine: Engine, exitCode: 6 | 7): string {
  const names = ENGINE_NAMES[engine];
  return exitCode === 6
    ? `${names.title} runs BuildKit in a Docker container (${names.daemonContainer}): check that Docker is running and usable by you (\`docker info\`), or set ${envName(engine, "BUILDKIT_HOST")}`
    : `BuildKit crashed: look at \`docker logs ${names.daemonContainer}\`, then run again (its cache is the ${names.cacheVolume} volume)`;
}
