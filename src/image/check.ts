// An image checked as a device and Palette will use it: there (the local Docker, or the registry
// after a push), for linux/$ARCH (the image config's, or the registry index's entry), and its
// /etc/os-release carrying the Kairos fields with the planned distribution, read from its layers.
import { posix } from "node:path";
import { Readable } from "node:stream";
import { EnvironmentError } from "../errors.js";
import { MAX_MANIFEST } from "../registry/client.js";
import { runTool, streamTool } from "../earthly/runner.js";
import { localImageCommands } from "./commands.js";
import { parseOsRelease, readLayer, resolveFile, type LayerView } from "./layers.js";

export interface ImageCheck {
  ref: string;
  where: "local Docker" | "registry";
  problems: string[];
}

export interface ImageCheckOptions {
  arch: string;
  distribution: string;
  env: NodeJS.ProcessEnv;
  /** Look in the registry (after --push), not the local Docker. */
  registry?: boolean;
  signal?: AbortSignal | undefined;
  docker?: string;
}

/** The Kairos fields a Palette edge host reads; FLAVOR and ID must name the planned distribution. */
const REQUIRED = ["KAIROS_NAME", "KAIROS_VERSION", "KAIROS_ID", "KAIROS_FLAVOR", "KAIROS_VARIANT"];

export function osReleaseProblems(content: Buffer | undefined, distribution: string): string[] {
  if (content === undefined) return ["has no /etc/os-release in its layers"];
  const fields = parseOsRelease(content.toString("utf8"));
  const missing = REQUIRED.filter((key) => (fields[key] ?? "") === "");
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`its /etc/os-release lacks ${missing.join(", ")}: it is not the Kairos image the Earthfile makes`);
  for (const key of ["KAIROS_FLAVOR", "KAIROS_ID"]) {
    const value = fields[key];
    if (value !== undefined && value !== "" && value !== distribution) problems.push(`its /etc/os-release says ${key}=${value}, but the configuration builds ${distribution}`);
  }
  return problems;
}

function platformProblem(os: string | undefined, arch: string | undefined, want: string): string | undefined {
  if (os === "linux" && arch === want) return undefined;
  return `is for ${os ?? "?"}/${arch ?? "?"}, not linux/${want}`;
}

export async function checkImage(ref: string, options: ImageCheckOptions): Promise<ImageCheck> {
  return options.registry === true ? checkPushedImage(ref, options) : checkLocalImage(ref, options);
}

async function checkLocalImage(ref: string, options: ImageCheckOptions): Promise<ImageCheck> {
  const docker = options.docker ?? "docker";
  const check: ImageCheck = { ref, where: "local Docker", problems: [] };
  const inspect = await runTool(docker, localImageCommands(ref).inspect, { env: options.env, timeoutMs: 60_000, cancelSignal: options.signal });
  if (inspect.notFound) throw new EnvironmentError("cannot run docker to check the images", "install Docker (docker.io) or put docker on PATH");
  if (inspect.exitCode !== 0) {
    if (/no such image/i.test(inspect.stderr)) check.problems.push("is not in the local Docker");
    else throw new EnvironmentError(`docker image inspect ${ref} failed: ${inspect.stderr.split("\n")[0] ?? ""}`, "check that the Docker daemon runs (docker info)");
    return check;
  }
  const [os, arch] = inspect.stdout.trim().split("/");
  const platform = platformProblem(os, arch, options.arch);
  if (platform !== undefined) check.problems.push(platform);
  check.problems.push(...osReleaseProblems(await osReleaseFromDockerSave(docker, ref, options), options.distribution));
  return check;
}

/** `docker save`'s tar, streamed: layers read as they pass, their order from manifest.json at the end. */
async function osReleaseFromDockerSave(docker: string, ref: string, options: ImageCheckOptions): Promise<Buffer | undefined> {
  const { extract } = await import("tar-stream");
  const saved = await streamTool(docker, localImageCommands(ref).save, { env: options.env, cancelSignal: options.signal });
  const views = new Map<string, LayerView>();
  const links = new Map<string, string>();
  let manifest: unknown;
  const tar = extract();
  const read = new Promise<void>((resolve, reject) => {
    tar.on("entry", (header, body, next) => {
      const name = header.name.replace(/^\.\//, "");
      const finish = (): void => next();
      if (header.type === "symlink" && header.linkname) {
        // Docker's older format links a repeated layer to its first copy: `../<id>/layer.tar`.
        links.set(name, posix.normalize(posix.join(posix.dirname(name), header.linkname)));
        body.on("end", finish);
        body.resume();
      } else if (name === "manifest.json") {
        const parts: Buffer[] = [];
        let size = 0;
        body.on("data", (c: unknown) => {
          size += (c as Buffer).length;
          if (size <= MAX_MANIFEST) parts.push(c as Buffer);
        });
        body.on("end", () => {
          // Too large or not JSON: no manifest, said below.
          try {
            if (size <= MAX_MANIFEST) manifest = JSON.parse(Buffer.concat(parts).toString("utf8")) as unknown;
          } catch {
            manifest = undefined;
          }
          finish();
        });
      } else if (header.type === "file" && (name.endsWith("/layer.tar") || name.startsWith("blobs/")) && (header.size ?? 0) > 1024) {
        readLayer(body).then(
          (view) => {
            views.set(name, view);
            finish();
          },
          // Not a layer (a config or manifest blob), read to its end all the same: skipped.
          () => finish(),
        );
      } else {
        body.on("end", finish);
        body.resume();
      }
    });
    tar.on("finish", () => resolve());
    tar.on("error", reject);
  });
  saved.stdout.pipe(tar);
  const [result] = await Promise.all([saved.result, read.catch((error: unknown) => error)]);
  if (result.canceled === true) return undefined;
  if (result.exitCode !== 0) throw new EnvironmentError(`docker save ${ref} failed: ${result.stderr.split("\n")[0] ?? ""}`);
  const layers = (Array.isArray(manifest) ? (manifest[0] as { Layers?: unknown }).Layers : undefined) as string[] | undefined;
  if (!Array.isArray(layers)) throw new EnvironmentError(`docker save ${ref} gave no manifest.json`);
  return resolveFile(
    layers.map((l) => views.get(l) ?? views.get(links.get(l) ?? "") ?? { nodes: new Map(), deleted: [], opaque: [] }),
    "etc/os-release",
  );
}

const INDEX_TYPES = ["application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"];

interface Descriptor {
  mediaType?: string;
  digest: string;
  platform?: { os?: string; architecture?: string };
}

async function json(response: Response, ref: string, what: string): Promise<Record<string, unknown>> {
  const { readLimited } = await import("../registry/client.js");
  const text = await readLimited(response, MAX_MANIFEST);
  if (text === undefined) throw new EnvironmentError(`the registry answered with more than ${MAX_MANIFEST / 1048576} MiB for the ${what} of ${ref}; an image's ${what} is a few KiB`, "check that IMAGE_REGISTRY names a container registry");
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // Said below, as for JSON of the wrong shape.
  }
  throw new EnvironmentError(`the registry's ${what} of ${ref} is not a JSON object`, "check that IMAGE_REGISTRY names a container registry");
}

async function checkPushedImage(ref: string, options: ImageCheckOptions): Promise<ImageCheck> {
  const { RegistryClient } = await import("../registry/client.js");
  // The run's cancel signal ends every request, a layer's download included.
  const client = new RegistryClient({ env: options.env, signal: options.signal });
  const check: ImageCheck = { ref, where: "registry", problems: [] };
  const { parseImageRef } = await import("../registry/reference.js");
  const top = await client.get(ref, { manifest: parseImageRef(ref).reference });
  if (top === undefined) {
    check.problems.push("is not in the registry");
    return check;
  }
  let manifest = await json(top, ref, "manifest");
  const mediaType = String(manifest["mediaType"] ?? top.headers.get("content-type") ?? "");
  if (INDEX_TYPES.includes(mediaType) || Array.isArray(manifest["manifests"])) {
    const entries = (manifest["manifests"] as Descriptor[] | undefined) ?? [];
    const wanted = entries.find((m) => m.platform?.os === "linux" && m.platform.architecture === options.arch);
    if (wanted === undefined) {
      const has = entries.map((m) => `${m.platform?.os ?? "?"}/${m.platform?.architecture ?? "?"}`).filter((p) => p !== "unknown/unknown");
      check.problems.push(`has no linux/${options.arch} image in its index (it has ${has.join(", ") || "none"})`);
      return check;
    }
    const chosen = await client.get(ref, { manifest: wanted.digest });
    if (chosen === undefined) {
      check.problems.push(`its index names ${wanted.digest} for linux/${options.arch}, which the registry does not have`);
      return check;
    }
    manifest = await json(chosen, ref, "manifest");
  }
  const config = manifest["config"] as Descriptor | undefined;
  const configBlob = config === undefined ? undefined : await client.get(ref, { blob: config.digest }, "*/*");
  if (configBlob === undefined) {
    check.problems.push("has no image config in the registry");
    return check;
  }
  const configJson = await json(configBlob, ref, "image config");
  const platform = platformProblem(configJson["os"] as string | undefined, configJson["architecture"] as string | undefined, options.arch);
  if (platform !== undefined) check.problems.push(platform);
  const views: LayerView[] = [];
  for (const layer of (manifest["layers"] as Descriptor[] | undefined) ?? []) {
    const blob = await client.get(ref, { blob: layer.digest }, "*/*");
    if (blob?.body == null) {
      check.problems.push(`its layer ${layer.digest} is not in the registry`);
      return check;
    }
    views.push(await readLayer(Readable.fromWeb(blob.body as import("node:stream/web").ReadableStream)));
  }
  check.problems.push(...osReleaseProblems(resolveFile(views, "etc/os-release"), options.distribution));
  return check;
}
