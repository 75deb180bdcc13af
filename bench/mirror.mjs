#!/usr/bin/env node
// canvos mirror against Debian's `skopeo copy` for the same set of images, between two local
// docker-registry processes (not run in CI; needs /usr/bin/docker-registry and skopeo):
//
//   node bench/mirror.mjs [--layers N] [--layer-mb MB] [--rounds N]
//
// The source gets every image `canvos images --runner docker` lists, each a two-platform OCI indexes (linux/amd64 + linux/arm64) of random layers plus one
// layer every image shares, as a base layer is shared in real sets. Each round copies the set to
// a fresh destination registry: canvos once (`canvos mirror --from oci:` is not used: the
// images come from the workspace's configuration as for a user), skopeo once per image, one after
// another as a script would (`skopeo copy` takes one image; like canvos it copies only the host's
// platform by default). Rounds alternate the order. Then both run again onto what they copied
// (the "nothing to do" run). Uploaded bytes are counted by canvos and checked against the blobs the
// destination stored. A benchmark is not a test: goals are reported, never asserted.
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const { values } = parseArgs({ options: { layers: { type: "string", default: "3" }, "layer-mb": { type: "string", default: "16" }, rounds: { type: "string", default: "3" } } });
const LAYERS = Number(values.layers);
const LAYER_BYTES = Number(values["layer-mb"]) * 1024 * 1024;
const ROUNDS = Number(values.rounds);

const freePort = () => new Promise((resolve) => { const s = createServer(); s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); }); });

async function startRegistry() {
  const dir = mkdtempSync(join(os.tmpdir(), "canvos-bench-registry-"));
  const port = await freePort();
  writeFileSync(join(dir, "config.yml"), `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const child = spawn("/usr/bin/docker-registry", ["serve", join(dir, "config.yml")], { stdio: "ignore" });
  const host = `127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await fetch(`http://${host}/v2/`).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
  return { host, dir, stop: () => { child.kill(); rmSync(dir, { recursive: true, force: true }); } };
}

const sha = (bytes) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

async function putBlob(host, repo, bytes) {
  const digest = sha(bytes);
  if ((await fetch(`http://${host}/v2/${repo}/blobs/${digest}`, { method: "HEAD" })).ok) return { digest, size: bytes.length };
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  const url = new URL(start.headers.get("location"), `http://${host}`);
  url.searchParams.set("digest", digest);
  const done = await fetch(url, { method: "PUT", body: bytes, headers: { "Content-Type": "application/octet-stream" } });
  if (done.status !== 201) throw new Error(`push ${repo} ${digest}: ${done.status}`);
  return { digest, size: bytes.length };
}

async function putManifest(host, repo, reference, value) {
  const bytes = Buffer.from(JSON.stringify(value));
  const response = await fetch(`http://${host}/v2/${repo}/manifests/${reference ?? sha(bytes)}`, { method: "PUT", body: bytes, headers: { "Content-Type": value.mediaType } });
  if (response.status !== 201) throw new Error(`manifest ${repo}:${reference}: ${response.status}`);
  return { digest: sha(bytes), size: bytes.length };
}

async function pushIndex(host, repo, tag, shared) {
  const children = [];
  for (const architecture of ["amd64", "arm64"]) {
    const layers = [await putBlob(host, repo, shared)];
    for (let i = 0; i < LAYERS; i++) layers.push(await putBlob(host, repo, randomBytes(LAYER_BYTES)));
    const config = await putBlob(host, repo, Buffer.from(JSON.stringify({ architecture, os: "linux", rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) } })));
    const mediaType = "application/vnd.oci.image.manifest.v1+json";
    const manifest = await putManifest(host, repo, undefined, { schemaVersion: 2, mediaType, config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config }, layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar", ...l })) });
    children.push({ mediaType, ...manifest, platform: { os: "linux", architecture } });
  }
  await putManifest(host, repo, tag, { schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: children });
}

function timed(command, args, env = process.env) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { encoding: "utf8", env, maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")}: exit ${result.status}\n${result.stderr}`);
  return { seconds, stdout: result.stdout, stderr: result.stderr };
}

function storedBytes(registry) {
  const root = join(registry.dir, "data", "docker", "registry", "v2", "blobs", "sha256");
  let total = 0;
  if (!existsSync(root)) return 0;
  for (const prefix of readdirSync(root)) for (const blob of readdirSync(join(root, prefix))) total += spawnSync("stat", ["-c", "%s", join(root, prefix, blob, "data")], { encoding: "utf8" }).stdout.trim() * 1;
  return total;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const source = await startRegistry();
const ws = mkdtempSync(join(os.tmpdir(), "canvos-bench-ws-"));
try {
  for (const entry of ["Earthfile", "Dockerfile", "steps", "overlay", "k8s_version.json"]) cpSync(join(ROOT, entry), join(ws, entry), { recursive: true });
  writeFileSync(join(ws, ".arg"), `SPECTRO_PUB_REPO=${source.host}/pub\nKAIROS_BASE_IMAGE_URL=${source.host}/pub\nSPECTRO_LUET_REPO=${source.host}/luet\nK8S_VERSION=1.29.2\n`);
  // The set is exactly what the build pulls; the luet repository (every tag of it) gets one tag.
  const listed = JSON.parse(timedIn(ws, ["images", "--json", "--runner", "docker"]).stdout).images;
  const images = listed.filter((i) => !i.wholeRepository);
  const luet = listed.find((i) => i.wholeRepository);
  const shared = randomBytes(LAYER_BYTES);
  for (const image of images) {
    const at = image.ref.lastIndexOf(":");
    await pushIndex(source.host, image.ref.slice(`${source.host}/`.length, at), image.ref.slice(at + 1), shared);
  }
  await pushIndex(source.host, luet.ref.slice(`${source.host}/`.length), "repository.yaml", shared);
  const refs = [...images.map((i) => i.ref), `${luet.ref}:repository.yaml`];
  const results = { canvos: [], skopeo: [], canvosAgain: [], skopeoAgain: [], uploaded: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ["canvos", "skopeo"] : ["skopeo", "canvos"];
    for (const tool of order) {
      // A fresh destination each time: neither tool can mount what an earlier run left (skopeo's
      // blob-info cache remembers where blobs were and mounts from there).
      const target = await startRegistry();
      try {
      if (tool === "canvos") {
        const to = `${target.host}/canvos-${round}`;
        const before = storedBytes(target);
        const first = timedIn(ws, ["mirror", "--to", to, "--json", "--runner", "docker"]);
        results.canvos.push(first.seconds);
        const outcome = JSON.parse(first.stdout);
        results.uploaded.push({ counted: outcome.uploadedBytes, stored: storedBytes(target) - before });
        results.canvosAgain.push(timedIn(ws, ["mirror", "--to", to, "--json", "--runner", "docker"]).seconds);
      } else {
        const to = `${target.host}/skopeo-${round}`;
        const copyAll = () => {
          let total = 0;
          for (const ref of refs) total += timed("skopeo", ["copy", "--quiet", ...(ref.endsWith(":repository.yaml") ? ["--all"] : []), "--src-tls-verify=false", "--dest-tls-verify=false", `docker://${ref}`, `docker://${to}/${ref.slice(ref.indexOf("/", ref.indexOf("/") + 1) + 1)}`]).seconds;
          return total;
        };
        results.skopeo.push(copyAll());
        results.skopeoAgain.push(copyAll());
      }
      } finally {
        target.stop();
      }
    }
  }
  // Distinct layers: each image's amd64 ones, both platforms' of the luet tag (canvos copies a luet
  // tag whole, so skopeo gets --all for it), and the shared one once (configs aside).
  const expected = (images.length + 2) * LAYERS * LAYER_BYTES + LAYER_BYTES;
  const report = {
    set: `${images.length} images and one luet tag, each a linux/amd64 + linux/arm64 index of ${LAYERS} random layers of ${values["layer-mb"]} MiB plus one ${values["layer-mb"]} MiB layer all share; the amd64 image copied (${(expected / 1048576).toFixed(0)} MiB of distinct layers)`,
    expectedBytes: expected,
    canvos: median(results.canvos),
    skopeo: median(results.skopeo),
    ratio: median(results.canvos) / median(results.skopeo),
    canvosAgain: median(results.canvosAgain),
    skopeoAgain: median(results.skopeoAgain),
    uploaded: results.uploaded,
    rounds: ROUNDS,
    machine: `${os.cpus()[0]?.model ?? "?"}, ${os.cpus().length} cores, Node.js ${process.version}, skopeo ${spawnSync("skopeo", ["--version"], { encoding: "utf8" }).stdout.trim()}`,
    all: results,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  source.stop();
  rmSync(ws, { recursive: true, force: true });
}

function timedIn(cwd, args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [join(ROOT, "bin", "canvos.cjs"), ...args], { encoding: "utf8", cwd, env: { PATH: process.env.PATH, HOME: cwd, DOCKER_CONFIG: join(cwd, ".docker") }, maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`canvos ${args.join(" ")}: exit ${result.status}\n${result.stderr}`);
  return { seconds, stdout: result.stdout };
}
