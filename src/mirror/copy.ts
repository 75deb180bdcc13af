// Copies images between stores the way a registry expects them: blobs first (each checked at the
// destination with HEAD, mounted from another repository there when one has it, else streamed
// through a sha256 check), then the manifests, children before their index. An image whose tag
// already names the same digest at the destination is left alone, so a second run uploads nothing.
import { createHash } from "node:crypto";
import * as z from "zod";
import { BuildError } from "../errors.js";
import { checkDigest, type ImageStore, type Location, type Manifest } from "./store.js";

export interface CopyJob {
  /** For messages: the source reference. */
  label: string;
  source: Location;
  destination: Location;
  /** `linux/amd64`-style platforms to keep from an index; "all" keeps the whole index. */
  platforms: readonly string[] | "all";
  annotations?: Record<string, string>;
}

export type CopyStatus = "copied" | "present" | "missing";

export interface CopyResult {
  job: CopyJob;
  status: CopyStatus;
  /** The digest the destination tag names now. */
  digest?: string;
  /** The platforms copied, when the source was an index. */
  platforms?: string[];
  uploadedBytes: number;
}

export interface CopyStats {
  uploadedBytes: number;
  uploadedBlobs: number;
  presentBlobs: number;
  mountedBlobs: number;
}

const descriptor = z.object({ digest: z.string(), size: z.number().int().nonnegative(), mediaType: z.string().optional() }).loose();
const platformed = descriptor.extend({ platform: z.object({ os: z.string(), architecture: z.string(), variant: z.string().optional() }).loose().optional() });
const manifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(platformed).optional(),
  config: descriptor.optional(),
  layers: z.array(descriptor).optional(),
}).loose();
type Parsed = z.infer<typeof manifestSchema>;
type Descriptor = z.infer<typeof descriptor>;
/** Bytes uploaded for one image (blobs moving for several images at once count for the first). */
interface Counter {
  bytes: number;
}

function parse(manifest: Manifest, label: string): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(manifest.bytes.toString("utf8"));
  } catch {
    throw new BuildError(`the manifest of ${label} is not JSON`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) throw new BuildError(`the manifest of ${label} is not an image manifest or index canvos can copy (schema 2)`);
  return parsed.data;
}

export function isIndex(manifest: Manifest, parsed: Parsed): boolean {
  return parsed.manifests !== undefined || /index|manifest\.list/.test(manifest.mediaType);
}

/** `linux/arm64` matches arm64 images with variant v8 or none, as Docker picks them. */
function matches(platform: string, entry: z.infer<typeof platformed>): boolean {
  const [os, architecture, variant] = platform.split("/");
  if (entry.platform === undefined || entry.platform.os !== os || entry.platform.architecture !== architecture) return false;
  const theirs = entry.platform.variant;
  if (variant !== undefined) return theirs === variant;
  return theirs === undefined || (architecture === "arm64" && theirs === "v8");
}

function platformName(entry: z.infer<typeof platformed>): string {
  const p = entry.platform;
  return p === undefined ? "unknown" : [p.os, p.architecture, p.variant].filter((x) => x !== undefined && x !== "").join("/");
}

/** At most `n` tasks at a time. */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

export interface CopierOptions {
  /** Blobs moving at once, over every image. */
  concurrency?: number;
  /** Bytes streamed so far, for a progress display. */
  onBytes?: (bytes: number) => void;
}

export class Copier {
  readonly stats: CopyStats = { uploadedBytes: 0, uploadedBlobs: 0, presentBlobs: 0, mountedBlobs: 0 };
  private readonly blobs = new Map<string, Promise<void>>();
  /** The destination repositories known to hold a blob (for mounts), by digest. */
  private readonly holders = new Map<string, Promise<string>>();
  private readonly limit: <T>(task: () => Promise<T>) => Promise<T>;

  constructor(
    private readonly source: ImageStore,
    private readonly destination: ImageStore,
    private readonly options: CopierOptions = {},
  ) {
    this.limit = limiter(options.concurrency ?? 6);
  }

  async copy(job: CopyJob): Promise<CopyResult> {
    const uploaded = { bytes: 0 };
    const top = await this.source.getManifest(job.source);
    if (top === undefined) return { job, status: "missing", uploadedBytes: 0 };
    const parsed = parse(top, job.label);
    let chosen = top;
    let platforms: string[] | undefined;
    if (isIndex(top, parsed)) {
      const children = parsed.manifests ?? [];
      if (job.platforms === "all" || job.platforms.length > 1) {
        // More than one platform of an index: the index itself, so its digest stays as published.
        platforms = children.map(platformName).filter((p) => p !== "unknown/unknown");
      } else {
        const wanted = job.platforms[0] ?? "";
        const child = children.find((entry) => matches(wanted, entry));
        if (child === undefined) throw new BuildError(`${job.label} has no ${wanted} image (it has ${children.map(platformName).join(", ") || "none"})`, [], "use --all-platforms to copy the whole index");
        const manifest = await this.source.getManifest({ repository: job.source.repository, reference: checkDigest(child.digest, job.label) });
        if (manifest === undefined) throw new BuildError(`${this.source.label} lists ${child.digest} in ${job.label} but does not have it`);
        chosen = manifest;
        platforms = [platformName(child)];
      }
    }
    if ((await this.destination.manifestDigest(job.destination)) === chosen.digest) {
      return { job, status: "present", digest: chosen.digest, ...(platforms ? { platforms } : {}), uploadedBytes: 0 };
    }
    await this.copyTree(job, chosen, uploaded);
    await this.destination.putManifest(job.destination, chosen, job.annotations);
    return { job, status: "copied", digest: chosen.digest, ...(platforms ? { platforms } : {}), uploadedBytes: uploaded.bytes };
  }

  /** Everything a manifest refers to, at the destination: blobs, or an index's child manifests. */
  private async copyTree(job: CopyJob, manifest: Manifest, uploaded: Counter): Promise<void> {
    const parsed = parse(manifest, job.label);
    if (isIndex(manifest, parsed)) {
      await Promise.all(
        (parsed.manifests ?? []).map(async (child) => {
          const at = { repository: job.destination.repository, reference: checkDigest(child.digest, job.label) };
          if ((await this.destination.manifestDigest(at)) === child.digest) return;
          const childManifest = await this.source.getManifest({ repository: job.source.repository, reference: child.digest });
          if (childManifest === undefined) throw new BuildError(`${this.source.label} lists ${child.digest} in ${job.label} but does not have it`);
          await this.copyTree(job, childManifest, uploaded);
          await this.destination.putManifest(at, childManifest);
        }),
      );
      return;
    }
    const blobs = [...(parsed.config ? [parsed.config] : []), ...(parsed.layers ?? [])];
    await Promise.all(blobs.map((blob) => this.ensureBlob(job, blob, uploaded)));
  }

  private ensureBlob(job: CopyJob, blob: Descriptor, uploaded: Counter): Promise<void> {
    const digest = checkDigest(blob.digest, job.label);
    const key = `${job.destination.repository}@${digest}`;
    let done = this.blobs.get(key);
    if (done === undefined) {
      done = this.moveBlob(job, digest, blob.size, uploaded);
      this.blobs.set(key, done);
    }
    return done;
  }

  private async moveBlob(job: CopyJob, digest: string, size: number, uploaded: Counter): Promise<void> {
    const repository = job.destination.repository;
    // Another repository of the destination has it, or is getting it: wait, then mount from there.
    const holder = this.holders.get(digest);
    if (holder === undefined) {
      let settle: (repo: string) => void = () => undefined;
      let fail: (error: unknown) => void = () => undefined;
      this.holders.set(digest, new Promise<string>((resolve, reject) => ((settle = resolve), (fail = reject))).catch(() => ""));
      try {
        await this.limit(() => this.transfer(job, digest, size, uploaded));
        settle(repository);
      } catch (error) {
        fail(error);
        this.holders.delete(digest);
        throw error;
      }
      return;
    }
    const from = await holder;
    await this.limit(() => this.transfer(job, digest, size, uploaded, from));
  }

  /** The blob at the destination: already there, mounted from `mountFrom` (a repository there that has it), or streamed. */
  private async transfer(job: CopyJob, digest: string, size: number, uploaded: Counter, mountFrom = ""): Promise<void> {
    const repository = job.destination.repository;
    if (await this.destination.hasBlob(repository, digest)) {
      this.stats.presentBlobs++;
      return;
    }
    if (mountFrom !== "" && this.destination.mountBlob !== undefined && (await this.destination.mountBlob(repository, digest, mountFrom))) {
      this.stats.mountedBlobs++;
      return;
    }
    await this.stream(job, digest, size, uploaded);
  }

  /** Source to destination through a sha256 check: a blob that is not what its digest says never lands. */
  private async stream(job: CopyJob, digest: string, size: number, uploaded: Counter): Promise<void> {
    const body = await this.source.openBlob(job.source.repository, digest);
    if (body === undefined) throw new BuildError(`${this.source.label} does not have the blob ${digest} of ${job.label}`);
    const hash = createHash("sha256");
    let seen = 0;
    let mismatch: BuildError | undefined;
    const onBytes = this.options.onBytes;
    const check = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        hash.update(chunk);
        seen += chunk.byteLength;
        onBytes?.(chunk.byteLength);
        if (seen > size) {
          mismatch = new BuildError(`the blob ${digest} of ${job.label} is longer than the ${size} bytes its manifest says`);
          controller.error(mismatch);
          return;
        }
        controller.enqueue(chunk);
      },
      flush(controller) {
        const actual = `sha256:${hash.digest("hex")}`;
        if (seen !== size || actual !== digest) {
          mismatch = new BuildError(`the blob ${digest} of ${job.label} arrived as ${seen} bytes with the digest ${actual}: not copied`);
          controller.error(mismatch);
        }
      },
    });
    try {
      await this.destination.putBlob(job.destination.repository, digest, size, body.pipeThrough(check));
    } catch (error) {
      throw mismatch ?? error;
    }
    if (mismatch !== undefined) throw mismatch;
    this.stats.uploadedBlobs++;
    this.stats.uploadedBytes += size;
    uploaded.bytes += size;
  }
}
