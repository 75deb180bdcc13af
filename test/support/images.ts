// Real images for the image checks: a `docker save`-format tarball written here (so the
// architecture, the layers and their whiteouts are exactly what a test wants), loaded into the
// live Docker and, for registry tests, pushed to the test registry. Each test removes its own.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { onTestFinished } from "vitest";
import { TEST_IMAGE_LABEL, testRun } from "./temp.js";

export interface LayerSpec {
  files?: Record<string, string>;
  symlinks?: Record<string, string>;
  /** Paths this layer deletes (written as `.wh.<name>`). */
  whiteouts?: string[];
}

function tarEntry(name: string, body: Buffer, type: "0" | "2" | "5" = "0", link = ""): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, "utf8");
  header.write(type === "5" ? "0000755\0" : "0000644\0", 100);
  header.write("0000000\0", 108);
  header.write("0000000\0", 116);
  header.write(body.length.toString(8).padStart(11, "0") + "\0", 124);
  header.write("00000000000\0", 136);
  header.write("        ", 148);
  header.write(type, 156);
  header.write(link, 157, 100, "utf8");
  header.write("ustar\u000000", 257, "latin1");
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "latin1");
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([header, body, pad]);
}

function tar(entries: Buffer[]): Buffer {
  return Buffer.concat([...entries, Buffer.alloc(1024)]);
}

function layerTar(spec: LayerSpec): Buffer {
  const entries: Buffer[] = [];
  const dirs = new Set<string>();
  const addDirs = (path: string): void => {
    const parts = path.split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join("/") + "/";
      if (!dirs.has(dir)) {
        dirs.add(dir);
        entries.push(tarEntry(dir, Buffer.alloc(0), "5"));
      }
    }
  };
  for (const [path, content] of Object.entries(spec.files ?? {})) {
    addDirs(path);
    entries.push(tarEntry(path, Buffer.from(content)));
  }
  for (const [path, target] of Object.entries(spec.symlinks ?? {})) {
    addDirs(path);
    entries.push(tarEntry(path, Buffer.alloc(0), "2", target));
  }
  for (const path of spec.whiteouts ?? []) {
    addDirs(path);
    const slash = path.lastIndexOf("/");
    entries.push(tarEntry(`${path.slice(0, slash + 1)}.wh.${path.slice(slash + 1)}`, Buffer.alloc(0)));
  }
  // Padding, so every layer is more than a trivial file (canvos skips tiny entries of `docker save`).
  entries.push(tarEntry("padding", Buffer.alloc(2048)));
  return tar(entries);
}

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

export function imageTarball(ref: string, arch: string, layers: LayerSpec[]): Buffer {
  const tars = layers.map(layerTar);
  const config = Buffer.from(
    JSON.stringify({ architecture: arch, os: "linux", config: { Labels: { [TEST_IMAGE_LABEL]: testRun() } }, rootfs: { type: "layers", diff_ids: tars.map((t) => `sha256:${sha(t)}`) }, history: tars.map(() => ({ created_by: "canvos test" })) }),
  );
  const configName = `${sha(config)}.json`;
  const layerNames = tars.map((t) => `${sha(t)}/layer.tar`);
  const manifest = Buffer.from(JSON.stringify([{ Config: configName, RepoTags: [ref], Layers: layerNames }]));
  const entries = [tarEntry(configName, config)];
  tars.forEach((t, i) => {
    entries.push(tarEntry(`${sha(t)}/`, Buffer.alloc(0), "5"));
    entries.push(tarEntry(layerNames[i] ?? "", t));
  });
  entries.push(tarEntry("manifest.json", manifest));
  return tar(entries);
}

function docker(args: string[], input?: Buffer): string {
  const r = spawnSync("docker", args, { input, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`docker ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Loads the image into the local Docker as `ref`; removed when the test ends. */
export function loadImage(ref: string, arch: string, layers: LayerSpec[]): void {
  docker(["load"], imageTarball(ref, arch, layers));
  onTestFinished(() => {
    spawnSync("docker", ["rmi", "-f", ref], { stdio: "ignore" });
  });
}

/** Loaded, then pushed to its registry (the test registry). */
export function pushImage(ref: string, arch: string, layers: LayerSpec[]): void {
  loadImage(ref, arch, layers);
  docker(["push", ref]);
}

export const KAIROS_RELEASE = (flavor: string): string =>
  `NAME="Ubuntu"\nID=ubuntu\nKAIROS_NAME="palette-edge-${flavor}"\nKAIROS_VERSION="v4.3.2"\nKAIROS_ID="${flavor}"\nKAIROS_FLAVOR="${flavor}"\nKAIROS_VARIANT="core"\n`;
