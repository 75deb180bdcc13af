// Splits an image reference into what the Registry HTTP API needs: which host to ask, the
// repository path and the tag or digest. Follows Docker's own normalisation (docker.io, library/).
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
  let rest = trimmed;
  let reference = "latest";
  const at = rest.indexOf("@");
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
  } else {
    // A colon after the last slash is a tag; one before it is a registry port.
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) {
      reference = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : "";
  // Docker's rule: the first component is a registry only if it looks like a host.
  const isHost = first !== "" && (first.includes(".") || first.includes(":") || first === "localhost");
  const registry = isHost ? first : DOCKER_HUB;
  let repository = isHost ? rest.slice(slash + 1) : rest;
  if (registry === DOCKER_HUB && !repository.includes("/")) repository = `library/${repository}`;
  if (repository === "" || reference === "") throw new ConfigError(`"${ref}" is not an image reference`);
  return { registry, apiHost: registry === DOCKER_HUB ? DOCKER_HUB_API : registry, repository, reference };
}

/** Loopback registries speak plain HTTP (as Docker allows them to); everything else HTTPS. */
export function registryScheme(host: string): "http" | "https" {
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : (host.split(":")[0] ?? host);
  return name === "localhost" || name === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(name) ? "http" : "https";
}
