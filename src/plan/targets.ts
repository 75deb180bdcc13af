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

/** The reference's Earthly targets (facts.md), as CanvOS users type them, and the command that builds each. */
const COMMAND_OF_TARGET: Readonly<Record<string, BuildCommand>> = {
  "build-all-images": "build-all",
  "build-provider-images": "provider",
  "build-provider-images-fips": "provider",
  "provider-image": "provider",
  iso: "iso",
  "build-iso": "iso",
  "iso-image": "iso",
  "base-image": "base",
};

/** What to say to `canvos +target`: the command that builds it. */
export function targetHint(target: string): string {
  const command = Object.hasOwn(COMMAND_OF_TARGET, target.replace(/^\+/, "")) ? COMMAND_OF_TARGET[target.replace(/^\+/, "")] : undefined;
  return `canvos chooses the Earthly target itself: ${command !== undefined ? `did you mean canvos ${command}?` : `use canvos ${BUILD_COMMANDS.join(", ")}`}`;
}
