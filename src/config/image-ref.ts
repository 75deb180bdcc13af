// The Docker image reference grammar (distribution/reference), enough to reject what a registry would.
import { quote } from "../text.js";

const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const TAG = "[\\w][\\w.-]{0,127}";

const domainRe = new RegExp(`^${DOMAIN}$`);
const pathRe = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const tagRe = new RegExp(`^${TAG}$`);
const digestRe = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;

export const MAX_TAG_LENGTH = 128;
const MAX_NAME_LENGTH = 255;

/** Why `registry` (host[:port][/namespace...]) is not usable as an image registry, or undefined. */
export function registryProblem(registry: string): string | undefined {
  if (registry === "") return "must not be empty";
  const [domain, ...path] = registry.split("/");
  if (!domain || !domainRe.test(domain)) return `${quote(registry)} does not start with a registry host (like ttl.sh, registry.example.com:5000)`;
  if (path.length > 0 && !pathRe.test(path.join("/"))) return `${quote(registry)}: the part after the host must be lowercase path components`;
  return undefined;
}

/** Why `repo` is not a valid repository path, or undefined. */
export function repositoryProblem(repo: string): string | undefined {
  if (repo === "") return "must not be empty";
  if (!pathRe.test(repo)) return `${quote(repo)} is not a valid repository name (lowercase letters, digits, and . _ - / between them)`;
  return undefined;
}

export function tagProblem(tag: string): string | undefined {
  if (tag.length > MAX_TAG_LENGTH) return `the image tag ${quote(tag)} is ${tag.length} characters; Docker allows at most ${MAX_TAG_LENGTH}`;
  if (!tagRe.test(tag)) return `${quote(tag)} is not a valid image tag (letters, digits, _ . -; not starting with . or -)`;
  return undefined;
}

export function nameLengthProblem(name: string): string | undefined {
  return name.length > MAX_NAME_LENGTH ? `the image name ${quote(name)} is ${name.length} characters; registries allow at most ${MAX_NAME_LENGTH}` : undefined;
}

/** A reference's parts, as written: nothing normalised, nothing validated. */
export interface ReferenceParts {
  /** The registry host[:port], when the first component is one. */
  domain: string | undefined;
  /** The repository path: everything between the domain and the tag. */
  path: string;
  tag: string | undefined;
  /** What follows `@`. */
  digest: string | undefined;
}

/**
 * Splits `[host/]path[:tag][@digest]` the way Docker does (distribution/reference): a colon after
 * the last slash starts the tag, one before it is a port; the first component is a host only if it
 * has a dot or a colon, is `localhost`, or has an uppercase letter (which no repository path may).
 */
export function splitReference(ref: string): ReferenceParts {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf("/");
  const first = slash === -1 ? "" : rest.slice(0, slash);
  const isDomain = first !== "" && (first.includes(".") || first.includes(":") || first === "localhost" || /[A-Z]/.test(first));
  return { domain: isDomain ? first : undefined, path: isDomain ? rest.slice(slash + 1) : rest, tag, digest };
}

/** Why a full reference (`[host/]path[:tag][@digest]`) is invalid, or undefined. */
export function imageReferenceProblem(ref: string): string | undefined {
  const { domain, path, tag, digest } = splitReference(ref);
  if (digest !== undefined && !digestRe.test(digest)) return `${quote(ref)} has an invalid digest`;
  if (tag !== undefined) {
    const problem = tagProblem(tag);
    if (problem) return problem;
  }
  if (domain !== undefined && !domainRe.test(domain)) return `${quote(ref)} has an invalid registry host`;
  if (!pathRe.test(path)) return `${quote(ref)} is not a valid image reference`;
  return nameLengthProblem(domain === undefined ? path : `${domain}/${path}`);
}
