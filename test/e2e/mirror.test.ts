// canvos images and canvos mirror against real registries: two docker-registry processes of this
// test's own on loopback, real multi-platform OCI indexes pushed into the source one for every
// image `canvos images` lists, then copies to the second registry, into an OCI layout and back.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { execaSync } from "execa";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canvos } from "../support/cli.js";
import { buildDefinitionCopy } from "../support/workspace-copy.js";
import { pushIndex, REGISTRY_BIN, startRegistry, storedBlobs, type PushedIndex, type TestRegistry } from "../support/registries.js";
import { RegistryStore } from "../../src/mirror/store.js";

interface ImagesJson {
  images: { ref: string; neededBy: string[]; platforms: string[]; settings: string[]; path: string; wholeRepository?: true }[];
  downloads: { url: string }[];
}
interface MirrorJson {
  images: { source: string; destination: string; status: string; digest?: string; platforms?: string[] }[];
  missing: string[];
  uploadedBytes: number;
  uploadedBlobs: number;
  presentBlobs: number;
  mountedBlobs: number;
  args: string[];
}

const available = existsSync(REGISTRY_BIN);
let source: TestRegistry;
let target: TestRegistry;
let ws: string;
const pushed = new Map<string, PushedIndex>();
let listed: ImagesJson;
const shared = randomBytes(200 * 1024);

function run(args: string[], cwd = ws) {
  return canvos(args, { cwd, env: { DOCKER_CONFIG: join(cwd, ".docker-none") } });
}

function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

describe.skipIf(!available)("canvos images and mirror", () => {
  beforeAll(async () => {
    [source, target] = await Promise.all([startRegistry(), startRegistry()]);
    ws = buildDefinitionCopy({ ".arg": `SPECTRO_PUB_REPO=${source.host}/pub\nKAIROS_BASE_IMAGE_URL=${source.host}/pub\nSPECTRO_LUET_REPO=${source.host}/luet\nK8S_VERSION=1.29.2\n` }, "canvos-mirror-ws-");
    const listing = await run(["images", "--json", "--runner", "docker"]);
    expect(listing.exitCode, listing.stderr).toBe(0);
    listed = parseJson<ImagesJson>(listing.stdout);
    for (const image of listed.images) {
      if (image.wholeRepository) {
        for (const tag of ["repository.yaml", "k8s-k3s-1.29.2-k3s1"]) await pushIndex(image.ref, tag, ["linux/amd64"], { layers: 1 });
        continue;
      }
      const at = image.ref.lastIndexOf(":");
      pushed.set(image.ref, await pushIndex(image.ref.slice(0, at), image.ref.slice(at + 1), ["linux/amd64", "linux/arm64"], { shared: [shared] }));
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    if (ws) rmSync(ws, { recursive: true, force: true });
  });

  it("lists every image the build pulls under the configured prefixes, from the Earthfile", async () => {
    const refs = listed.images.map((i) => i.ref);
    expect(refs).toEqual([
      `${source.host}/luet/luet-repo`,
      `${source.host}/pub/canvos/alpine-cert:v1.0.0`,
      `${source.host}/pub/earthly/earthly:v0.8.5`,
      `${source.host}/pub/kairos-io/provider-k3s:v4.2.1`,
      `${source.host}/pub/kairos-ubuntu:22.04-core-amd64-generic-v2.4.5`,
      `${source.host}/pub/osbuilder-tools:v0.7.11`,
      `${source.host}/pub/stylus-framework-linux-amd64:v4.3.2`,
    ]);
    expect(listed.images.find((i) => i.ref.includes("osbuilder"))).toMatchObject({ neededBy: ["+iso"], platforms: ["linux/amd64"], settings: ["SPECTRO_PUB_REPO", "KAIROS_BASE_IMAGE_URL"], path: "osbuilder-tools:v0.7.11" });
    expect(listed.downloads.map((d) => d.url)).toContain("https://github.com/etcd-io/etcd/releases/download/v3.5.13/etcd-v3.5.13-linux-amd64.tar.gz");

    // An edit of the Earthfile changes the list: nothing is kept by hand.
    const edited = buildDefinitionCopy({}, "canvos-mirror-edit-");
    try {
      const earthfile = join(edited, "Earthfile");
      writeFileSync(earthfile, readFileSync(earthfile, "utf8").replace("osbuilder-tools:$OSBUILDER_VERSION", "iso-maker:$OSBUILDER_VERSION"));
      const text = await run(["images", "--FIPS_ENABLED=true", "--k8s-distribution", "rke2", "--BASE_IMAGE=quay.io/me/fips:1"], edited);
      expect(text.exitCode, text.stderr).toBe(0);
      expect(text.stdout).toContain("gcr.io/spectro-images-public/iso-maker:v0.7.11  (linux/amd64; +iso)");
      expect(text.stdout).toContain("gcr.io/spectro-images-public/stylus-framework-fips-linux-amd64:v4.3.2");
      expect(text.stdout).toContain("gcr.io/spectro-images-public/kairos-io/provider-rke2-fips:v4.1.1");
      expect(text.stdout).toContain("quay.io/me/fips:1  (linux/amd64; +base-image (Dockerfile))");
      expect(text.stdout).not.toContain("osbuilder-tools");
    } finally {
      rmSync(edited, { recursive: true, force: true });
    }
  });

  it("copies the build's platform, verified by digest; a second run uploads nothing", async () => {
    const to = `${target.host}/mirror`;
    const first = await run(["mirror", "--to", to, "--json", "--runner", "docker"]);
    expect(first.exitCode, first.stderr).toBe(0);
    const outcome = parseJson<MirrorJson>(first.stdout);
    expect(outcome.missing).toEqual([]);
    expect(outcome.images.every((i) => i.status === "copied")).toBe(true);
    // The shared layer went up once and was mounted everywhere else.
    expect(outcome.mountedBlobs).toBe(pushed.size - 1);
    const store = new RegistryStore("check", { env: {} });
    for (const [ref, index] of pushed) {
      const path = ref.slice(`${source.host}/pub/`.length);
      const at = path.lastIndexOf(":");
      const destination = { repository: `${to}/${path.slice(0, at)}`, reference: path.slice(at + 1) };
      // The tag names the amd64 image itself, byte for byte the source's.
      expect(await store.manifestDigest(destination)).toBe(index.platforms["linux/amd64"]?.manifest);
      // Its config and own layers (not the layer both platforms share) stay behind.
      const arm64 = index.platforms["linux/arm64"]?.blobs ?? [];
      for (const blob of [arm64[0] ?? "", ...arm64.slice(2)]) expect(await store.hasBlob(destination.repository, blob)).toBe(false);
    }
    expect(outcome.images.filter((i) => i.source.includes("/luet/luet-repo:")).map((i) => i.destination).sort()).toEqual([`${to}/luet-repo:k8s-k3s-1.29.2-k3s1`, `${to}/luet-repo:repository.yaml`]);
    expect(outcome.args).toEqual([`SPECTRO_LUET_REPO=${to}`, `SPECTRO_PUB_REPO=${to}`, `KAIROS_BASE_IMAGE_URL=${to}`]);
    expect(first.stderr).toMatch(/mirror: 8 images: 8 copied, 0 already there, 0 missing, 0 failed; \d+ blobs uploaded .*, 0 already there, 5 mounted/);

    const blobsBefore = storedBlobs(target);
    const second = await run(["mirror", "--to", to, "--json", "--runner", "docker"]);
    expect(second.exitCode, second.stderr).toBe(0);
    const again = parseJson<MirrorJson>(second.stdout);
    expect(again.uploadedBytes).toBe(0);
    expect(again.uploadedBlobs).toBe(0);
    expect(again.images.every((i) => i.status === "present")).toBe(true);
    expect(storedBlobs(target)).toEqual(blobsBefore);

    const text = await run(["mirror", "--to", to, "--runner", "docker"]);
    expect(text.stdout).toBe(`# .arg lines for a build from ${to}:\nSPECTRO_LUET_REPO=${to}\nSPECTRO_PUB_REPO=${to}\nKAIROS_BASE_IMAGE_URL=${to}\n`);
  }, 120_000);

  it("--all-platforms keeps each whole index under its digest", async () => {
    const to = `${target.host}/all`;
    const result = await run(["mirror", "--to", to, "--json", "--all-platforms"]);
    expect(result.exitCode, result.stderr).toBe(0);
    const store = new RegistryStore("check", { env: {} });
    const stylus = [...pushed].find(([ref]) => ref.includes("stylus"));
    expect(stylus).toBeDefined();
    const [ref, index] = stylus ?? ["", undefined];
    const path = ref.slice(`${source.host}/pub/`.length);
    const at = path.lastIndexOf(":");
    expect(await store.manifestDigest({ repository: `${to}/${path.slice(0, at)}`, reference: path.slice(at + 1) })).toBe(index?.digest);
    for (const blob of index?.platforms["linux/arm64"]?.blobs ?? []) expect(await store.hasBlob(`${to}/${path.slice(0, at)}`, blob)).toBe(true);
  }, 120_000);

  it("carries the images through an OCI layout and pushes them from it", async () => {
    const dir = join(ws, "carry");
    const out = await run(["mirror", "--to", `oci:${dir}`, "--json"]);
    expect(out.exitCode, out.stderr).toBe(0);
    expect(parseJson<{ imageLayoutVersion: string }>(readFileSync(join(dir, "oci-layout"), "utf8")).imageLayoutVersion).toBe("1.0.0");
    const index = parseJson<{ manifests: { digest: string; annotations: Record<string, string> }[] }>(readFileSync(join(dir, "index.json"), "utf8"));
    const osbuilder = index.manifests.find((m) => m.annotations["org.opencontainers.image.ref.name"] === "osbuilder-tools:v0.7.11");
    const expected = [...pushed].find(([ref]) => ref.includes("osbuilder"))?.[1].platforms["linux/amd64"]?.manifest;
    expect(osbuilder?.digest).toBe(expected);
    expect(existsSync(join(dir, "blobs", "sha256", (expected ?? "").slice(7)))).toBe(true);

    const again = await run(["mirror", "--to", `oci:${dir}`, "--json"]);
    expect(parseJson<MirrorJson>(again.stdout).uploadedBytes).toBe(0);

    const to = `${target.host}/site`;
    const pushedBack = await run(["mirror", "--from", `oci:${dir}`, "--to", to, "--json"], ws);
    expect(pushedBack.exitCode, pushedBack.stderr).toBe(0);
    const back = parseJson<MirrorJson>(pushedBack.stdout);
    expect(back.images.length).toBe(index.manifests.length);
    expect(back.args).toEqual(expect.arrayContaining([`SPECTRO_PUB_REPO=${to}`, `KAIROS_BASE_IMAGE_URL=${to}`, `SPECTRO_LUET_REPO=${to}`]));
    const store = new RegistryStore("check", { env: {} });
    expect(await store.manifestDigest({ repository: `${to}/osbuilder-tools`, reference: "v0.7.11" })).toBe(expected);
  }, 120_000);

  it("a blob that does not match its digest never lands", async () => {
    const dir = join(ws, "corrupt");
    expect((await run(["mirror", "--to", `oci:${dir}`])).exitCode).toBe(0);
    const layer = [...pushed].find(([ref]) => ref.includes("stylus"))?.[1].platforms["linux/amd64"]?.blobs[2] ?? "";
    const file = join(dir, "blobs", "sha256", layer.slice(7));
    const bytes = readFileSync(file);
    bytes[100] = (bytes[100] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    const to = `${target.host}/corrupt`;
    const result = await run(["mirror", "--from", `oci:${dir}`, "--to", to]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`canvos: the blob ${layer} of oci:${dir} stylus-framework-linux-amd64:v4.3.2 arrived as`);
    expect(result.stderr).toContain(": not copied");
    expect(await new RegistryStore("check", { env: {} }).hasBlob(`${to}/stylus-framework-linux-amd64`, layer)).toBe(false);
    // The others were copied all the same.
    expect(result.stderr).toContain(`-> ${to}/osbuilder-tools:v0.7.11`);
  }, 120_000);

  it("an image missing at the source is exit 1 naming it, after the others are copied", async () => {
    const to = `${target.host}/partial`;
    const result = await run(["mirror", "--to", to, "--pe-version", "v0.0.1"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`mirror: ${source.host}/pub/stylus-framework-linux-amd64:v0.0.1: missing at the source`);
    expect(result.stderr).toContain(`canvos: 1 image missing at the source: ${source.host}/pub/stylus-framework-linux-amd64:v0.0.1`);
    const store = new RegistryStore("check", { env: {} });
    expect(await store.manifestDigest({ repository: `${to}/osbuilder-tools`, reference: "v0.7.11" })).toBeDefined();
    expect(result.stdout).toContain(`SPECTRO_PUB_REPO=${to}`);
  }, 120_000);

  it.skipIf(!existsSync("/usr/bin/htpasswd"))("logs in to both ends with the credentials in Docker's config", async () => {
    const line = execaSync("htpasswd", ["-nbB", "mirror-user", "s3cret-pw"]).stdout.trim();
    const locked = await startRegistry(line);
    try {
      const to = `${locked.host}/locked`;
      const refused = await run(["mirror", "--to", to]);
      expect(refused.exitCode).toBe(3);
      expect(refused.stderr).toContain(`hint: log in first: docker login ${locked.host}`);

      const config = join(ws, "docker-config");
      mkdirSync(config, { recursive: true });
      writeFileSync(join(config, "config.json"), JSON.stringify({ auths: { [locked.host]: { auth: Buffer.from("mirror-user:s3cret-pw").toString("base64") } } }));
      const env = { DOCKER_CONFIG: config };
      const copied = await canvos(["mirror", "--to", to, "--json"], { cwd: ws, env });
      expect(copied.exitCode, copied.stderr).toBe(0);
      expect(parseJson<MirrorJson>(copied.stdout).images.every((i) => i.status === "copied")).toBe(true);
      expect(copied.stderr + copied.stdout).not.toContain("s3cret-pw");

      // And as the source: from the locked registry into a layout.
      const dir = join(ws, "from-locked");
      writeFileSync(join(ws, "locked.arg"), `SPECTRO_PUB_REPO=${to}\nKAIROS_BASE_IMAGE_URL=${to}\nSPECTRO_LUET_REPO=${to}\nK8S_VERSION=1.29.2\n`);
      const out = await canvos(["mirror", "--arg-file", "locked.arg", "--to", `oci:${dir}`, "--json"], { cwd: ws, env });
      expect(out.exitCode, out.stderr).toBe(0);
      expect(parseJson<MirrorJson>(out.stdout).missing).toEqual([]);
    } finally {
      await locked.stop();
    }
  }, 120_000);

  it("Ctrl-C mid-copy ends it as interrupted (130), no partial blob left in the layout", async () => {
    // The source seen through a proxy that forwards everything but holds the first layer download
    // after its first bytes: the moment canvos is writing a blob, reached by a handshake.
    let stalled: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (stalled = resolve));
    const held: ServerResponse[] = [];
    const proxy = createServer((req, res) => {
      const upstream = httpRequest({ host: "127.0.0.1", port: Number(source.host.split(":")[1]), path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        const layer = req.method === "GET" && /\/blobs\/sha256:/.test(req.url ?? "") && Number(answer.headers["content-length"]) > 64 * 1024;
        if (!layer || held.length > 0) return void answer.pipe(res);
        held.push(res);
        answer.once("data", (chunk: Buffer) => {
          res.write(chunk.subarray(0, 1024), () => stalled());
          answer.destroy();
        });
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const via = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const dir = join(ws, "interrupted");
    try {
      writeFileSync(join(ws, "via.arg"), `SPECTRO_PUB_REPO=${via}/pub\nKAIROS_BASE_IMAGE_URL=${via}/pub\nSPECTRO_LUET_REPO=${via}/luet\nK8S_VERSION=1.29.2\n`);
      const child = canvos(["mirror", "--arg-file", "via.arg", "--to", `oci:${dir}`], { cwd: ws, env: { DOCKER_CONFIG: join(ws, ".docker-none") } });
      await reached;
      child.kill("SIGINT");
      const result = await child;
      expect(result.exitCode, result.stderr).toBe(130);
      expect(result.stderr).toMatch(/^canvos: interrupted by SIGINT after \d+\.\d s; what was copied stays/m);
      expect(result.stderr).not.toContain("AbortError");
      const blobs = join(dir, "blobs", "sha256");
      expect(existsSync(blobs) ? readdirSync(blobs).filter((name) => name.endsWith(".part")) : []).toEqual([]);
    } finally {
      for (const res of held) res.destroy();
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  }, 120_000);

  it("says what is wrong with --to and --from", async () => {
    const bad = await run(["mirror", "--to", "mirror"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("--to: error:");
    const noLayout = await run(["mirror", "--from", `oci:${join(ws, "nothing")}`, "--to", `${target.host}/x`]);
    expect(noLayout.exitCode).toBe(3);
    expect(noLayout.stderr).toContain("is not an OCI image layout");
  });
});
