// An image reference as the Registry HTTP API needs it: which host to ask, the repository path and
// the tag or digest. Split as validation splits it (config/image-ref.ts), then normalised as
// Docker does (docker.io, library/).
import { splitReference } from "../config/image-ref.js";
import { ConfigError } from "../errors.js";

export interface ImageRef {
  /** As Docker names it in ~/.docker/config.json: `docker.io`, `registry.example.com:5000`. */
  registry: string;
  /** Where the API lives (Docker Hub's API host differs from its name). */
  apiHost: string;
  repository: string;
  /** A tag or a `sha256:` digest. */
  reference: string;
}

export const DOCKER_HUB = "docker.io";
const DOCKER_HUB_API = "registry-1.docker.io";

export function parseImageRef(ref: string): ImageRef {
  const trimmed = ref.trim();
  if (trimmed === "" || /\s/.test(trimmed)) throw new ConfigError(`"${ref}" is not an image reference`);
  const { domain, path, tag, digest } = splitReference(trimmed);
  const registry = domain ?? DOCKER_HUB;
  const repository = registry === DOCKER_HUB && !path.includes("/") ? `library/${path}` : path;
  const reference = digest ?? tag ?? "latest";
  if (path === "" || reference === "") throw new ConfigError(`"${ref}" is not an image reference`);
  return { registry, apiHost: registry === DOCKER_HUB ? DOCKER_HUB_API : registry, repository, reference };
}

/** Loopback registries speak plain HTTP (as Docker allows them to); everything else HTTPS. */
export function registryScheme(host: string): "http" | "https" {
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : (host.split(":")[0] ?? host);
  return name === "localhost" || name === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(name) ? "http" : "https";
}
