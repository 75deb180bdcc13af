// Registries of the tests' own: `docker-registry` processes on free loopback ports with temporary
// storage (and optionally htpasswd auth), removed when the test file ends; and real multi-platform
// image indexes pushed into them through canvos's own registry store.
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { RegistryStore, sha256Digest, type Manifest } from "../../src/mirror/store.js";

export const REGISTRY_BIN = "/usr/bin/docker-registry";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

export interface TestRegistry {
  host: string;
  dir: string;
  stop(): Promise<void>;
}

/** `htpasswd`: a bcrypt line (`user:$2y$...`) to require Basic auth. */
export async function startRegistry(htpasswd?: string): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "canvos-mirror-registry-"));
  const port = await freePort();
  const auth = htpasswd === undefined ? "" : `auth:\n  htpasswd:\n    realm: canvos-test\n    path: ${join(dir, "htpasswd")}\n`;
  if (htpasswd !== undefined) writeFileSync(join(dir, "htpasswd"), `${htpasswd}\n`);
  writeFileSync(join(dir, "config.yml"), `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, "data")}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`);
  const child: ResultPromise = execa(REGISTRY_BIN, ["serve", join(dir, "config.yml")], { reject: false, stdio: "ignore" });
  const host = `127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://${host}/v2/`).then((r) => r.status).catch(() => 0);
    if (up !== 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    dir,
    async stop() {
      child.kill("SIGTERM");
      await child;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every blob file the registry has stored: what a run that uploads nothing leaves unchanged. */
export function storedBlobs(registry: TestRegistry): string[] {
  const root = join(registry.dir, "data", "docker", "registry", "v2", "blobs", "sha256");
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((prefix) => readdirSync(join(root, prefix))).sort();
}

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

function manifestOf(value: unknown, mediaType: string): Manifest {
  const bytes = Buffer.from(JSON.stringify(value));
  return { bytes, mediaType, digest: sha256Digest(bytes) };
}

export interface PushedIndex {
  ref: string;
  digest: string;
  /** Per platform (`linux/amd64`): its manifest's digest and its blobs' digests. */
  platforms: Record<string, { manifest: string; blobs: string[] }>;
}

/**
 * Pushes `repository:tag` as an OCI index of one image per platform, each with a config and
 * `layers` random layers of `layerBytes` bytes (plus `shared`, blobs pushed in every image).
 */
export async function pushIndex(repository: string, tag: string, platforms: readonly string[], options: { layerBytes?: number; layers?: number; shared?: Buffer[] } = {}): Promise<PushedIndex> {
  const store = new RegistryStore("test", { env: {} });
  const pushed: PushedIndex = { ref: `${repository}:${tag}`, digest: "", platforms: {} };
  const children = [];
  for (const platform of platforms) {
    const [os = "linux", architecture = "amd64"] = platform.split("/");
    const layers = [...(options.shared ?? []), ...Array.from({ length: options.layers ?? 2 }, () => randomBytes(options.layerBytes ?? 64 * 1024))];
    const layerDescriptors = [];
    for (const layer of layers) {
      const digest = `sha256:${createHash("sha256").update(layer).digest("hex")}`;
      await store.putBlob(repository, digest, layer.byteLength, new Blob([layer]).stream());
      layerDescriptors.push({ mediaType: "application/vnd.oci.image.layer.v1.tar", digest, size: layer.byteLength });
    }
    const config = Buffer.from(JSON.stringify({ architecture, os, rootfs: { type: "layers", diff_ids: layerDescriptors.map((l) => l.digest) }, config: {} }));
    const configDigest = sha256Digest(config);
    await store.putBlob(repository, configDigest, config.byteLength, new Blob([config]).stream());
    const manifest = manifestOf({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.byteLength }, layers: layerDescriptors }, OCI_MANIFEST);
    await store.putManifest({ repository, reference: manifest.digest }, manifest);
    pushed.platforms[platform] = { manifest: manifest.digest, blobs: [configDigest, ...layerDescriptors.map((l) => l.digest)] };
    children.push({ mediaType: OCI_MANIFEST, digest: manifest.digest, size: manifest.bytes.byteLength, platform: { os, architecture } });
  }
  const index = manifestOf({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: children }, OCI_INDEX);
  await store.putManifest({ repository, reference: tag }, index);
  pushed.digest = index.digest;
  return pushed;
}
