// Earthly in its container: what users without a local Earthly run (earthly.md, last section).
// This module only builds invocations; runner.ts spawns them.

/** The reference's Earthly release; its image and the BuildKit image share the tag. */
export const EARTHLY_IMAGE_TAG = "v0.8.5";

function pubRepo(spectroPubRepo: string | undefined): string {
  const repo = (spectroPubRepo ?? "").replace(/\/+$/, "");
  // The reference's default never applied (facts.md): an empty prefix falls back to the real one.
  return repo === "" ? "gcr.io/spectro-images-public" : repo;
}

export function defaultEarthlyImage(spectroPubRepo: string | undefined): string {
  return `${pubRepo(spectroPubRepo)}/earthly/earthly:${EARTHLY_IMAGE_TAG}`;
}

export function defaultBuildkitImage(spectroPubRepo: string | undefined): string {
  return `${pubRepo(spectroPubRepo)}/earthly/buildkitd:${EARTHLY_IMAGE_TAG}`;
}

export const RUNNERS = ["auto", "native", "docker"] as const;
export type RunnerChoice = (typeof RUNNERS)[number];
