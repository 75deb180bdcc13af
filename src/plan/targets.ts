// Which Earthly target each build command invokes.
export const BUILD_COMMANDS = ["build-all", "iso", "provider", "base"] as const;
export type BuildCommand = (typeof BUILD_COMMANDS)[number];

export const TARGET_OF: Readonly<Record<BuildCommand, string>> = {
  "build-all": "+build-all-images",
  iso: "+iso",
  provider: "+build-provider-images",
  base: "+base-image",
};

export const BUILDS_PROVIDERS: Readonly<Record<BuildCommand, boolean>> = {
  "build-all": true,
  iso: false,
  provider: true,
  base: false,
};

export const BUILDS_ISO: Readonly<Record<BuildCommand, boolean>> = {
  "build-all": true,
  iso: true,
  provider: false,
  base: false,
};

/** The build arg that carries the selected Kubernetes versions (comma-separated) to the provider targets. */
export const K8S_VERSIONS_ARG = "K8S_VERSIONS";
