// /etc/os-release as an image's file system has it, read from the layers without running the
// image (a foreign-architecture image cannot run here): each layer streamed once through a tar
// reader keeping only the few entries that matter, then stacked bottom to top with OCI
// whiteouts (`.wh.<name>` deletes, `.wh..wh..opq` hides the lower layers' folder) and symbolic
// links followed (Ubuntu's /etc/os-release points to ../usr/lib/os-release).
import { posix } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { createGunzip } from "node:zlib";

/** The paths os-release can live at, and the folders above them. */
const WANTED = ["etc/os-release", "usr/lib/os-release"];
const MAX_FILE = 64 * 1024;

type Node = { kind: "file"; content: Buffer } | { kind: "link"; target: string };

export interface LayerView {
  nodes: Map<string, Node>;
  /** Paths deleted from the layers below (whiteouts). */
  deleted: string[];
  /** Folders whose lower-layer content this layer hides. */
  opaque: string[];
}

function clean(name: string): string {
  return posix.normalize(name.replace(/^(\.\/|\/)+/, "")).replace(/\/$/, "");
}

function matters(path: string): boolean {
  return WANTED.some((w) => w === path || w.startsWith(path + "/"));
}

/** A tar stream (plain or gzip; zstd is sniffed and refused) read for the entries that matter. */
export async function readLayer(source: AsyncIterable<unknown>): Promise<LayerView> {
  // tar-stream's own entries are streamx streams: iterated, they are Node streams like any other.
  const stream = source instanceof Readable ? source : Readable.from(source);
  // A cancel can end the download while tar-stream loads: until the listeners below are on, its
  // error is held here, where it would otherwise be thrown as uncaught and leave the read hanging.
  let failed: unknown;
  stream.on("error", (error: unknown) => (failed ??= error));
  const { extract } = await import("tar-stream");
  if (failed !== undefined) throw failed;
  const view: LayerView = { nodes: new Map(), deleted: [], opaque: [] };
  const first = await peek(stream);
  let input: Readable = first.stream;
  if (first.head[0] === 0x1f && first.head[1] === 0x8b) input = first.stream.pipe(createGunzip());
  else if (first.head.readUInt32LE(0) === 0xfd2fb528) throw new Error("a zstd-compressed layer (canvos reads gzip and plain layers)");
  const tar = extract();
  const done = new Promise<void>((resolve, reject) => {
    tar.on("entry", (header, body, next) => {
      const path = clean(header.name);
      const base = posix.basename(path);
      const dir = posix.dirname(path) === "." ? "" : posix.dirname(path);
      const join = (name: string): string => (dir === "" ? name : `${dir}/${name}`);
      if (base === ".wh..wh..opq") {
        if (WANTED.some((w) => w.startsWith(dir === "" ? "" : dir + "/"))) view.opaque.push(dir);
      } else if (base.startsWith(".wh.")) {
        const gone = join(base.slice(4));
        if (matters(gone)) view.deleted.push(gone);
      } else if (WANTED.includes(path)) {
        if (header.type === "symlink" && header.linkname) view.nodes.set(path, { kind: "link", target: header.linkname });
        else if (header.type === "link" && header.linkname) view.nodes.set(path, { kind: "link", target: "/" + clean(header.linkname) });
        else if (header.type === "file" || header.type === "contiguous-file") {
          const parts: Buffer[] = [];
          let size = 0;
          body.on("data", (data: unknown) => {
            const chunk = data as Buffer;
            if (size < MAX_FILE) parts.push(chunk);
            size += chunk.length;
          });
          body.on("end", () => {
            view.nodes.set(path, { kind: "file", content: Buffer.concat(parts).subarray(0, MAX_FILE) });
            next();
          });
          return;
        }
      } else if (matters(path) && header.type === "symlink" && header.linkname) {
        // A folder above os-release that is a link (usr/lib -> lib): followed like the file.
        view.nodes.set(path, { kind: "link", target: header.linkname });
      }
      body.on("end", () => next());
      body.resume();
    });
    tar.on("finish", () => resolve());
    // Not a tar: the rest is still read, so that a stream holding this one can go on.
    tar.on("error", (error: Error) => {
      input.unpipe(tar);
      input.on("end", () => reject(error));
      input.resume();
    });
    input.on("error", reject);
    // pipe() does not carry an error on: a download cancelled mid-layer must end the read.
    stream.on("error", reject);
  });
  input.pipe(tar);
  await done;
  return view;
}

async function peek(stream: Readable): Promise<{ head: Buffer; stream: Readable }> {
  return new Promise((resolve, reject) => {
    const onReadable = (): void => {
      const chunk = stream.read() as Buffer | null;
      if (chunk === null) return;
      stream.off("readable", onReadable);
      stream.off("end", onEnd);
      const out = new PassThrough();
      out.write(chunk);
      stream.pipe(out);
      resolve({ head: chunk.length >= 4 ? chunk : Buffer.concat([chunk, Buffer.alloc(4)]), stream: out });
    };
    const onEnd = (): void => {
      const out = new PassThrough();
      out.end();
      resolve({ head: Buffer.alloc(4), stream: out });
    };
    stream.on("readable", onReadable);
    stream.once("end", onEnd);
    stream.once("error", reject);
  });
}

/** The file at `path` after stacking the layers (lowest first), symlinks followed. */
export function resolveFile(layers: readonly LayerView[], path: string): Buffer | undefined {
  const nodes = new Map<string, Node>();
  for (const layer of layers) {
    for (const dir of layer.opaque) for (const key of [...nodes.keys()]) if (dir === "" || key.startsWith(dir + "/")) nodes.delete(key);
    for (const gone of layer.deleted) for (const key of [...nodes.keys()]) if (key === gone || key.startsWith(gone + "/")) nodes.delete(key);
    for (const [key, node] of layer.nodes) nodes.set(key, node);
  }
  let current = path;
  for (let hops = 0; hops < 16; hops++) {
    const node = nodes.get(current);
    if (node?.kind === "file") return node.content;
    if (node?.kind === "link") {
      current = clean(node.target.startsWith("/") ? node.target : posix.join(posix.dirname(current), node.target));
      continue;
    }
    // A linked folder on the way (usr/lib -> lib).
    const parent = [...nodes.entries()].find(([key, n]) => n.kind === "link" && current.startsWith(key + "/"));
    if (parent === undefined || parent[1].kind !== "link") return undefined;
    const target = parent[1].target;
    const base = target.startsWith("/") ? target : posix.join(posix.dirname(parent[0]), target);
    current = clean(posix.join(base, current.slice(parent[0].length + 1)));
  }
  return undefined;
}

/** os-release's KEY=value lines, quotes removed. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let value = (m[2] ?? "").trim();
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1).replace(/\\(["\\$`])/g, "$1");
    out[m[1] ?? ""] = value;
  }
  return out;
}
