// `canvos mirror`: the images `canvos images` lists (or those an OCI layout holds) copied to a
// registry prefix or into an OCI layout, then the `.arg` lines that point a build there.
import { resolve } from "node:path";
import { arch } from "node:os";
import { ConfigError, BuildError } from "../errors.js";
import { splitReference } from "../config/image-ref.js";
import { parseImageRef } from "../registry/reference.js";
import { mirrorArgLines, type PulledImage } from "../plan/pulled-images.js";
import { NATIVE } from "../earthfile/evaluate.js";
import { Copier, type CopyJob, type CopyResult, type CopyStats } from "./copy.js";
import { OciStore, RegistryStore, type ImageStore } from "./store.js";

export type Endpoint = { kind: "oci"; dir: string } | { kind: "registry"; prefix: string };

/** Annotations an OCI layout keeps per image, so `--from oci:DIR` can print the `.arg` lines too. */
const SETTINGS = "io.canvos.mirror.settings";
const PREFIXED = "io.canvos.mirror.prefixed";

export function parseEndpoint(flag: string, value: string, cwd: string): Endpoint {
  if (value.startsWith("oci:")) {
    const dir = value.slice(4);
    if (dir === "") throw new ConfigError(`invalid ${flag}`, [{ where: flag, severity: "error", message: "oci: needs a folder, e.g. oci:./mirror" }]);
    return { kind: "oci", dir: resolve(cwd, dir) };
  }
  const prefix = value.replace(/\/+$/, "");
  let problem: string | undefined;
  try {
    const parsed = parseImageRef(`${prefix}/canvos-check:tag`);
    if (!prefix.startsWith(`${parsed.registry}`) || parsed.registry === "docker.io") problem = `${JSON.stringify(value)} does not start with a registry host (registry.example.com[:port][/prefix])`;
  } catch {
    problem = `${JSON.stringify(value)} is not a registry prefix like registry.example.com/mirror`;
  }
  if (problem !== undefined) throw new ConfigError(`invalid ${flag}`, [{ where: flag, severity: "error", message: problem }]);
  return { kind: "registry", prefix };
}

/** The build host's platform: what `native` pulls are for. */
export function hostPlatform(): string {
  const a = arch();
  return `linux/${a === "x64" ? "amd64" : a}`;
}

interface Planned {
  job?: CopyJob;
  /** A whole repository still to list (luet's): its jobs come from the source's tags. */
  repository?: { source: string; destination: string; label: string; annotations: Record<string, string> };
}

function repositoryAndReference(ref: string): { repository: string; reference: string } {
  const { tag, digest } = splitReference(ref);
  const reference = digest ?? tag ?? "latest";
  const cut = digest !== undefined ? ref.lastIndexOf("@") : tag !== undefined ? ref.lastIndexOf(":") : ref.length;
  return { repository: ref.slice(0, cut), reference };
}

function destinationRepository(to: Endpoint, path: string): string {
  return to.kind === "registry" ? `${to.prefix}/${path}` : path;
}

/** One copy job per listed image, with the platforms the build pulls it for. */
export function jobsFor(images: readonly PulledImage[], to: Endpoint, allPlatforms: boolean, host = hostPlatform()): Planned[] {
  return images.map((image) => {
    const annotations: Record<string, string> = { [SETTINGS]: image.settings.join(","), ...(image.prefix !== undefined ? { [PREFIXED]: "true" } : {}) };
    const pathParts = repositoryAndReference(image.path);
    if (image.wholeRepository) {
      return { repository: { source: image.ref, destination: destinationRepository(to, image.path), label: image.ref, annotations } };
    }
    const platforms = allPlatforms ? "all" : [...new Set(image.platforms.map((p) => (p === NATIVE ? host : p)))];
    return {
      job: {
        label: image.ref,
        source: repositoryAndReference(image.ref),
        destination: { repository: destinationRepository(to, pathParts.repository), reference: pathParts.reference },
        platforms,
        annotations,
      },
    };
  });
}

export interface MirrorEvents {
  onResult(result: CopyResult): void;
  onFailure(label: string, error: unknown): void;
}

export interface MirrorOutcome {
  results: CopyResult[];
  stats: CopyStats;
  /** Images the source does not have. */
  missing: string[];
  /** The `.arg` lines for a build from the destination registry (none for an OCI layout). */
  argLines: string[];
  /** Errors other than a missing image (a registry that refused, a digest that did not match). */
  failures: unknown[];
  seconds: number;
}

export interface MirrorRequest {
  from: Endpoint | undefined;
  to: Endpoint;
  /** Listed by `canvos images` (absent with --from oci:, whose layout says what it holds). */
  images?: readonly PulledImage[];
  allPlatforms: boolean;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal | undefined;
  onWarning?: (message: string) => void;
  events: MirrorEvents;
  /** Images copied at once (their blobs share one limit). */
  parallelImages?: number;
}

function openStore(endpoint: Endpoint | undefined, create: boolean, request: MirrorRequest): ImageStore {
  if (endpoint?.kind === "oci") return new OciStore(endpoint.dir, create);
  const label = endpoint?.kind === "registry" ? endpoint.prefix : "the source registries";
  return new RegistryStore(label, { env: request.env, signal: request.signal, ...(request.onWarning ? { onWarning: request.onWarning } : {}) });
}

export async function runMirror(request: MirrorRequest): Promise<MirrorOutcome> {
  const started = Date.now();
  if (request.from?.kind === "registry") throw new ConfigError("--from takes an OCI layout (oci:DIR); registries are read from the configuration");
  const source = openStore(request.from, false, request);
  const destination = openStore(request.to, true, request);
  const copier = new Copier(source, destination);

  let planned: Planned[];
  let listed: { settings: string[]; prefix?: string; path: string }[];
  if (request.from?.kind === "oci") {
    const entries = source.entries?.() ?? [];
    if (entries.length === 0) throw new ConfigError(`${source.label} holds no named images`);
    planned = entries.map(({ name, annotations }) => {
      const { repository, reference } = repositoryAndReference(name);
      return { job: { label: `${source.label} ${name}`, source: { repository, reference }, destination: { repository: destinationRepository(request.to, repository), reference }, platforms: "all" as const, annotations } };
    });
    listed = entries.map(({ name, annotations }) => ({ settings: (annotations[SETTINGS] ?? "").split(",").filter((s) => s !== ""), ...(annotations[PREFIXED] === "true" ? { prefix: "" } : {}), path: name }));
  } else {
    planned = jobsFor(request.images ?? [], request.to, request.allPlatforms);
    listed = [...(request.images ?? [])];
  }

  const results: CopyResult[] = [];
  const missing: string[] = [];
  const failures: unknown[] = [];
  const run = async (job: CopyJob): Promise<void> => {
    try {
      const result = await copier.copy(job);
      results.push(result);
      if (result.status === "missing") missing.push(job.label);
      request.events.onResult(result);
    } catch (error) {
      failures.push(error);
      request.events.onFailure(job.label, error);
    }
  };
  // Whole repositories become one job per tag of the source.
  const jobs: CopyJob[] = [];
  for (const item of planned) {
    if (item.job !== undefined) jobs.push(item.job);
    else if (item.repository !== undefined) {
      const { repository: sourceRepository } = repositoryAndReference(item.repository.source);
      const tags = await source.listTags(sourceRepository);
      if (tags === undefined) {
        missing.push(item.repository.label);
        request.events.onResult({ job: { label: item.repository.label, source: { repository: sourceRepository, reference: "" }, destination: { repository: item.repository.destination, reference: "" }, platforms: "all" }, status: "missing", uploadedBytes: 0 });
        continue;
      }
      for (const tag of tags) {
        jobs.push({ label: `${sourceRepository}:${tag}`, source: { repository: sourceRepository, reference: tag }, destination: { repository: item.repository.destination, reference: tag }, platforms: "all", annotations: item.repository.annotations });
      }
    }
  }
  const queue = [...jobs];
  const workers = Array.from({ length: Math.min(request.parallelImages ?? 3, queue.length) }, async () => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) await run(job);
  });
  await Promise.all(workers);

  const outcome: MirrorOutcome = {
    results,
    stats: copier.stats,
    missing,
    argLines: request.to.kind === "registry" ? mirrorArgLines(listed, request.to.prefix) : [],
    failures,
    seconds: (Date.now() - started) / 1000,
  };
  return outcome;
}

/** The error for images the source does not have: exit 1, each named. */
export function missingError(missing: readonly string[], source: string): BuildError {
  return new BuildError(`${missing.length} image${missing.length === 1 ? "" : "s"} missing at ${source}: ${missing.join(", ")}`, [], "check the prefixes and version pins in .arg (canvos images lists what the build pulls)");
}
