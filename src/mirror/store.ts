// The two places images live for `canvos mirror`: registries (Registry HTTP API v2, through the one
// registry client, so Docker's credentials and both ways of authenticating apply) and an OCI image
// layout on disk (oci-layout, index.json, blobs/sha256/...), the folder carried into an air-gapped
// site. Both move blobs as streams: a layer is never held in memory.
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { createHash, randomBytes } from "node:crypto";
import * as z from "zod";
import { MANIFEST_ACCEPT, MAX_MANIFEST, readLimitedBytes, RegistryClient, type RegistryOptions } from "../registry/client.js";
import { parseImageRef, registryScheme, type ImageRef } from "../registry/reference.js";
import { BuildError, EnvironmentError } from "../errors.js";
import { readRegularFileSync } from "../workspace/safe-fs.js";

export interface Manifest {
  bytes: Buffer;
  mediaType: string;
  /** `sha256:<hex>` of the bytes. */
  digest: string;
}

/** Where an image is: a repository (`host/path` for a registry, a name in a layout) and a tag or digest. */
export interface Location {
  repository: string;
  reference: string;
}

export interface ImageStore {
  /** For messages: `registry.example.com`, `oci:/media/usb`. */
  readonly label: string;
  getManifest(at: Location): Promise<Manifest | undefined>;
  /** The digest under a tag, without fetching the manifest; undefined when there is none. */
  manifestDigest(at: Location): Promise<string | undefined>;
  putManifest(at: Location, manifest: Manifest, annotations?: Record<string, string>): Promise<void>;
  hasBlob(repository: string, digest: string): Promise<boolean>;
  openBlob(repository: string, digest: string): Promise<ReadableStream<Uint8Array> | undefined>;
  /** Stores a blob from a stream that fails if its bytes do not match `digest`. */
  putBlob(repository: string, digest: string, size: number, body: ReadableStream<Uint8Array>): Promise<void>;
  /** Links a blob another repository of this store holds (cross-repository mount); false when not done. */
  mountBlob?(repository: string, digest: string, from: string): Promise<boolean>;
  /** Every tag of a repository (undefined when it does not exist). */
  listTags(repository: string): Promise<string[] | undefined>;
  /** Every image a layout holds, as it names them (`path:tag`), with its annotations. */
  entries?(): { name: string; annotations: Record<string, string> }[];
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** A digest canvos will use in a URL or a file name: sha256 only, checked (a manifest names them). */
export function checkDigest(digest: string, where: string): string {
  if (!DIGEST.test(digest)) throw new BuildError(`${where} names a blob by ${JSON.stringify(digest.slice(0, 80))}, not a sha256 digest`);
  return digest;
}

function mediaTypeOf(bytes: Buffer, header: string | null): string {
  try {
    const declared = (JSON.parse(bytes.toString("utf8")) as { mediaType?: unknown }).mediaType;
    if (typeof declared === "string" && declared !== "") return declared;
  } catch {
    // Not JSON: the registry's word is all there is.
  }
  return (header ?? "application/vnd.oci.image.manifest.v1+json").split(";")[0]?.trim() ?? "";
}

export class RegistryStore implements ImageStore {
  readonly label: string;
  private readonly client: RegistryClient;

  constructor(label: string, options: RegistryOptions) {
    this.label = label;
    this.client = new RegistryClient(options);
  }

  private image(repository: string, reference = "latest"): ImageRef {
    return parseImageRef(`${repository}${reference.startsWith("sha256:") ? "@" : ":"}${reference}`);
  }

  private manifestPath(reference: string): string {
    return `manifests/${encodeURIComponent(reference).replace(/%3A/gi, ":")}`;
  }

  private failure(image: ImageRef, response: Response, what: string): EnvironmentError {
    void response.body?.cancel().catch(() => undefined);
    return new EnvironmentError(`${image.registry} answered ${response.status} ${response.statusText} to ${what} (${image.repository})`);
  }

  async getManifest(at: Location): Promise<Manifest | undefined> {
    const image = this.image(at.repository, at.reference);
    const response = await this.client.call(image, "GET", this.manifestPath(at.reference), { headers: { Accept: MANIFEST_ACCEPT } });
    if (response.status === 404) {
      await response.body?.cancel().catch(() => undefined);
      return undefined;
    }
    if (!response.ok) throw this.failure(image, response, `a manifest request for ${at.reference}`);
    const bytes = await readLimitedBytes(response, MAX_MANIFEST);
    if (bytes === undefined) throw new BuildError(`${image.registry} answered for ${at.repository}:${at.reference} with more than ${MAX_MANIFEST / 1048576} MiB, far more than a manifest`);
    const digest = sha256Digest(bytes);
    // By digest the bytes must match it; by tag, the digest the registry says it serves.
    const expected = at.reference.startsWith("sha256:") ? at.reference : response.headers.get("docker-content-digest");
    if (expected !== null && expected !== "" && expected !== digest) {
      throw new BuildError(`${image.registry} sent a manifest for ${at.repository}:${at.reference} whose digest is ${digest}, not ${expected}`);
    }
    return { bytes, mediaType: mediaTypeOf(bytes, response.headers.get("content-type")), digest };
  }

  async manifestDigest(at: Location): Promise<string | undefined> {
    const image = this.image(at.repository, at.reference);
    const response = await this.client.call(image, "HEAD", this.manifestPath(at.reference), { headers: { Accept: MANIFEST_ACCEPT } });
    await response.body?.cancel().catch(() => undefined);
    if (response.status === 404) return undefined;
    if (!response.ok) throw this.failure(image, response, `a manifest question for ${at.reference}`);
    const digest = response.headers.get("docker-content-digest");
    if (digest !== null && digest !== "") return digest;
    // A registry that does not say the digest on HEAD: the manifest itself tells.
    return (await this.getManifest(at))?.digest;
  }

  async putManifest(at: Location, manifest: Manifest): Promise<void> {
    const image = this.image(at.repository, at.reference);
    const response = await this.client.call(image, "PUT", this.manifestPath(at.reference), { headers: { "Content-Type": manifest.mediaType }, body: manifest.bytes });
    if (!response.ok) throw this.failure(image, response, `the manifest upload of ${at.reference}`);
    await response.body?.cancel().catch(() => undefined);
    const stored = response.headers.get("docker-content-digest");
    if (stored !== null && stored !== "" && stored !== manifest.digest) {
      throw new BuildError(`${image.registry} stored the manifest of ${at.repository}:${at.reference} as ${stored}, not ${manifest.digest}`);
    }
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const image = this.image(repository);
    const response = await this.client.call(image, "HEAD", `blobs/${digest}`);
    await response.body?.cancel().catch(() => undefined);
    if (response.status === 404) return false;
    if (!response.ok) throw this.failure(image, response, `a blob question for ${digest}`);
    return true;
  }

  async openBlob(repository: string, digest: string): Promise<ReadableStream<Uint8Array> | undefined> {
    const image = this.image(repository);
    const response = await this.client.call(image, "GET", `blobs/${digest}`);
    if (response.status === 404) {
      await response.body?.cancel().catch(() => undefined);
      return undefined;
    }
    if (!response.ok || response.body === null) throw this.failure(image, response, `the download of ${digest}`);
    return response.body;
  }

  /** Starts an upload (or mounts): the POST authenticates for push, so the streamed PUT needs no second try. */
  private async startUpload(image: ImageRef, query: string): Promise<{ mounted: true } | { location: string }> {
    const response = await this.client.call(image, "POST", `blobs/uploads/${query}`);
    await response.body?.cancel().catch(() => undefined);
    if (response.status === 201) return { mounted: true };
    const location = response.headers.get("location");
    if (response.status !== 202 || location === null) throw this.failure(image, response, "the start of a blob upload");
    const base = `${registryScheme(image.apiHost)}://${image.apiHost}`;
    return { location: new URL(location, base).toString() };
  }

  async putBlob(repository: string, digest: string, size: number, body: ReadableStream<Uint8Array>): Promise<void> {
    const image = this.image(repository);
    const started = await this.startUpload(image, "");
    if (!("location" in started)) return;
    const url = new URL(started.location);
    url.searchParams.set("digest", digest);
    const response = await this.client.call(image, "PUT", url.toString(), {
      headers: { "Content-Type": "application/octet-stream", "Content-Length": String(size) },
      body,
      stream: true,
    });
    await response.body?.cancel().catch(() => undefined);
    if (response.status !== 201) throw this.failure(image, response, `the upload of ${digest}`);
  }

  async mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
    const image = this.image(repository);
    const source = this.image(from);
    if (source.apiHost !== image.apiHost) return false;
    const started = await this.startUpload(image, `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(source.repository)}`);
    if ("mounted" in started) return true;
    // Not mounted: the registry opened a plain upload instead, which is left to expire unused.
    await this.client.call(image, "DELETE", started.location).then((r) => r.body?.cancel()).catch(() => undefined);
    return false;
  }

  async listTags(repository: string): Promise<string[] | undefined> {
    const image = this.image(repository);
    const tags: string[] = [];
    let path = "tags/list?n=1000";
    for (let page = 0; page < 1000; page++) {
      const response = await this.client.call(image, "GET", path, { headers: { Accept: "application/json" } });
      if (response.status === 404) {
        await response.body?.cancel().catch(() => undefined);
        return undefined;
      }
      if (!response.ok) throw this.failure(image, response, "the tag list");
      const text = await readLimitedBytes(response, MAX_MANIFEST);
      const parsed = z.object({ tags: z.array(z.string()).nullable().optional() }).safeParse(text === undefined ? undefined : JSON.parse(text.toString("utf8")));
      if (!parsed.success) throw new BuildError(`${image.registry} answered the tag list of ${repository} with something that is not one`);
      tags.push(...(parsed.data.tags ?? []));
      // Pages follow the Link header: `</v2/<repo>/tags/list?n=1000&last=x>; rel="next"`.
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(response.headers.get("link") ?? "")?.[1];
      if (next === undefined) break;
      path = new URL(next, `http://${image.apiHost}`).pathname.replace(`/v2/${image.repository}/`, "") + new URL(next, `http://${image.apiHost}`).search;
    }
    return tags;
  }
}

/** The annotation OCI layouts name an image by. */
export const REF_NAME = "org.opencontainers.image.ref.name";

const descriptorSchema = z.object({ mediaType: z.string(), digest: z.string(), size: z.number(), annotations: z.record(z.string(), z.string()).optional() }).loose();
const layoutIndexSchema = z.object({ schemaVersion: z.literal(2), manifests: z.array(descriptorSchema) }).loose();
type Descriptor = z.infer<typeof descriptorSchema>;

/**
 * An OCI image layout. Images are named `repository:tag` in index.json (ref.name), the repository
 * being its path below the mirror prefix, so `--from oci:DIR` puts each back where it belongs.
 */
export class OciStore implements ImageStore {
  readonly label: string;
  private readonly index: Descriptor[];

  constructor(private readonly dir: string, create: boolean) {
    this.label = `oci:${dir}`;
    const indexFile = join(dir, "index.json");
    if (!existsSync(indexFile)) {
      if (!create) throw new EnvironmentError(`${dir} is not an OCI image layout (no index.json)`, "give the folder canvos mirror --to oci:DIR wrote");
      mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
      writeFileSync(join(dir, "oci-layout"), `${JSON.stringify({ imageLayoutVersion: "1.0.0" })}\n`);
      this.index = [];
      this.writeIndex();
      return;
    }
    let parsed: ReturnType<typeof layoutIndexSchema.safeParse>;
    try {
      parsed = layoutIndexSchema.safeParse(JSON.parse(readRegularFileSync(indexFile, MAX_MANIFEST).toString("utf8")));
    } catch (error) {
      throw new EnvironmentError(`cannot read ${indexFile}: ${(error as Error).message}`);
    }
    if (!parsed.success) throw new EnvironmentError(`${indexFile} is not an OCI image index`);
    this.index = parsed.data.manifests;
  }

  private blobPath(digest: string): string {
    return join(this.dir, "blobs", "sha256", checkDigest(digest, this.label).slice("sha256:".length));
  }

  private writeIndex(): void {
    // Written whole and renamed: a layout cut off mid-run still has a readable index.
    const file = join(this.dir, "index.json");
    const temp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
    writeFileSync(temp, `${JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: this.index }, null, 2)}\n`);
    renameSync(temp, file);
  }

  private find(at: Location): Descriptor | undefined {
    if (at.reference.startsWith("sha256:")) return { mediaType: "", digest: at.reference, size: 0 };
    return this.index.find((d) => d.annotations?.[REF_NAME] === `${at.repository}:${at.reference}`);
  }

  async getManifest(at: Location): Promise<Manifest | undefined> {
    const found = this.find(at);
    if (found === undefined || !existsSync(this.blobPath(found.digest))) return undefined;
    const bytes = readRegularFileSync(this.blobPath(found.digest), MAX_MANIFEST);
    const digest = sha256Digest(bytes);
    if (digest !== found.digest) throw new BuildError(`${this.label}: the manifest of ${at.repository}:${at.reference} has the digest ${digest}, not ${found.digest} (the layout is damaged)`);
    return { bytes, mediaType: found.mediaType !== "" ? found.mediaType : mediaTypeOf(bytes, null), digest };
  }

  async manifestDigest(at: Location): Promise<string | undefined> {
    const found = this.find(at);
    return found !== undefined && existsSync(this.blobPath(found.digest)) ? found.digest : undefined;
  }

  async putManifest(at: Location, manifest: Manifest, annotations: Record<string, string> = {}): Promise<void> {
    const path = this.blobPath(manifest.digest);
    if (!existsSync(path)) writeFileSync(path, manifest.bytes);
    // A manifest stored by digest (an index's child) is a blob only; a tag is an entry of index.json.
    if (at.reference.startsWith("sha256:")) return;
    const name = `${at.repository}:${at.reference}`;
    const entry: Descriptor = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.byteLength, annotations: { ...annotations, [REF_NAME]: name } };
    const existing = this.index.findIndex((d) => d.annotations?.[REF_NAME] === name);
    if (existing === -1) this.index.push(entry);
    else this.index[existing] = entry;
    this.writeIndex();
  }

  async hasBlob(_repository: string, digest: string): Promise<boolean> {
    return existsSync(this.blobPath(digest));
  }

  async openBlob(_repository: string, digest: string): Promise<ReadableStream<Uint8Array> | undefined> {
    const path = this.blobPath(digest);
    if (!existsSync(path)) return undefined;
    return Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
  }

  async putBlob(_repository: string, digest: string, size: number, body: ReadableStream<Uint8Array>): Promise<void> {
    const path = this.blobPath(digest);
    // Into a temporary file first: a blob under its digest's name is always whole and right.
    const temp = `${path}.${randomBytes(4).toString("hex")}.part`;
    try {
      await body.pipeTo(Writable.toWeb(createWriteStream(temp)));
      if (statSync(temp).size !== size) throw new BuildError(`${digest}: ${statSync(temp).size} bytes arrived, the manifest says ${size}`);
      renameSync(temp, path);
    } finally {
      rmSync(temp, { force: true });
    }
  }

  async listTags(repository: string): Promise<string[] | undefined> {
    const tags = this.index.map((d) => d.annotations?.[REF_NAME] ?? "").filter((n) => n.startsWith(`${repository}:`)).map((n) => n.slice(repository.length + 1));
    return tags.length > 0 ? tags : undefined;
  }

  entries(): { name: string; annotations: Record<string, string> }[] {
    return this.index.filter((d) => d.annotations?.[REF_NAME] !== undefined).map((d) => ({ name: d.annotations?.[REF_NAME] ?? "", annotations: d.annotations ?? {} }));
  }
}
