// The files Earthly would hand over for an artifact reference (`+t/path`, `+t/dir/*`), worked out
// from the Earthfile alone for targets that only assemble files (FROM scratch or an image, WORKDIR,
// COPY, SAVE ARTIFACT). It follows Earthly's rules (earthly.md, "Artifact paths"): COPY without
// --dir takes what is inside a folder, with --dir the folder itself; SAVE ARTIFACT keeps a folder's
// name; a FROM DOCKERFILE context copies what the reference names *with* its name, so
// `+t/dir` hands over `dir/...` and `+t/dir/*` what is inside. The contract tests lay out the
// Docker build context this way and build it for real.
import { readdirSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import type { Problem } from "../errors.js";
import { evaluateTarget, type EvaluateOptions, type Step } from "./evaluate.js";
import type { Values } from "./expand.js";
import type { EarthfileModel } from "./types.js";

/** A file of the workspace placed at a path, or a folder. */
export type Entry = { kind: "dir" } | { kind: "file"; source: string };
/** Absolute POSIX paths ("/a/b") to entries; "/" is always a folder. */
export type Tree = Map<string, Entry>;

export interface LayoutOptions extends EvaluateOptions {
  /** The folder the Earthfile is in: where COPY finds its local sources. */
  workspace: string;
}

export interface Layout {
  tree: Tree;
  problems: Problem[];
}

/** What `+target/path` names, placed under "/" the way FROM DOCKERFILE's context receives it. */
export function artifactLayout(model: EarthfileModel, ref: string, values: Values, options: LayoutOptions): Layout {
  const problems: Problem[] = [];
  const tree = newTree();
  const items = resolveArtifact(model, ref, values, options, problems);
  if (items !== undefined) for (const item of items) place(tree, "/", item, true);
  return { tree, problems };
}

/** The local file an artifact reference names (FROM DOCKERFILE's `-f +t/path/Dockerfile`). */
export function artifactFile(model: EarthfileModel, ref: string, values: Values, options: LayoutOptions): { source?: string; problems: Problem[] } {
  const problems: Problem[] = [];
  const items = resolveArtifact(model, ref, values, options, problems) ?? [];
  const only = items.length === 1 ? items[0]?.tree.get("/") : undefined;
  if (only?.kind === "file") return { source: only.source, problems };
  problems.push({ where: model.file, message: `${ref} is not one file`, severity: "error" });
  return { problems };
}

/** One named thing to place: a file, or a folder with what is inside it. */
interface Item {
  name: string;
  /** Rooted at "/": "/" itself is the item. */
  tree: Tree;
}

function newTree(): Tree {
  return new Map<string, Entry>([["/", { kind: "dir" }]]);
}

function resolveArtifact(model: EarthfileModel, ref: string, values: Values, options: LayoutOptions, problems: Problem[]): Item[] | undefined {
  const match = /^\+([A-Za-z0-9._-]+)\/(.*)$/.exec(ref);
  if (!match) {
    problems.push({ where: model.file, message: `not a local artifact reference: ${ref}`, severity: "error" });
    return undefined;
  }
  const artifacts = targetArtifacts(model, match[1] ?? "", values, options, problems);
  return select(artifacts, `/${match[2] ?? ""}`);
}

/** The artifacts a target saves, as one tree rooted at its artifact root. */
function targetArtifacts(model: EarthfileModel, target: string, values: Values, options: LayoutOptions, problems: Problem[]): Tree {
  return materialise(model, target, values, options, problems).artifacts;
}

/** The file system of a target's final state (for FROM +t), as far as COPYs make it. */
function finalTree(model: EarthfileModel, ref: string, values: Values, options: LayoutOptions, problems: Problem[]): Tree {
  return materialise(model, ref, values, options, problems).fs;
}

/** Walks a target's steps over its file system, collecting what it saves. */
function materialise(model: EarthfileModel, target: string, values: Values, options: LayoutOptions, problems: Problem[]): { fs: Tree; artifacts: Tree } {
  const evaluation = evaluateTarget(model, target, values, options);
  problems.push(...evaluation.problems.filter((p) => p.severity === "error"));
  const name = target.replace(/^\+/, "");
  const artifacts = newTree();
  let fs = newTree();
  let cwd = "/";
  let ranAt: number | undefined;
  for (const step of evaluation.steps) {
    switch (step.kind) {
      case "from":
        ranAt = undefined;
        cwd = "/";
        fs = step.source === "target" ? finalTree(model, step.ref, values, options, problems) : newTree();
        break;
      case "workdir":
        cwd = posix.resolve(cwd, step.path);
        mkdirs(fs, cwd);
        break;
      case "copy":
        copy(model, fs, cwd, step, values, options, problems);
        break;
      case "run":
        if (step.executes) ranAt = step.line;
        break;
      case "save-artifact": {
        if (ranAt !== undefined) {
          problems.push({ where: `${model.file}:${step.line}`, message: `what +${name} saves depends on the RUN at line ${ranAt}, which this model does not run`, severity: "error" });
        }
        const items = select(fs, posix.resolve(cwd, step.src));
        if (items === undefined) {
          problems.push({ where: `${model.file}:${step.line}`, message: `SAVE ARTIFACT ${step.src}: nothing there`, severity: "error" });
          break;
        }
        // Saved under its own name, or under the destination given.
        const dest = step.dest === undefined ? "/" : posix.resolve("/", step.dest);
        const asName = step.dest !== undefined && !step.dest.endsWith("/") && items.length === 1;
        for (const item of items) {
          if (asName) place(artifacts, posix.dirname(dest), { ...item, name: posix.basename(dest) }, true);
          else place(artifacts, dest, item, true);
        }
        break;
      }
      default:
        break;
    }
  }
  return { fs, artifacts };
}

function copy(model: EarthfileModel, fs: Tree, cwd: string, step: Extract<Step, { kind: "copy" }>, values: Values, options: LayoutOptions, problems: Problem[]): void {
  const where = `${model.file}:${step.line}`;
  const items: Item[] = [];
  for (const source of step.sources) {
    const found = source.startsWith("+")
      ? resolveArtifact(model, source, values, { ...options, platform: step.platform }, problems)
      : localItems(options.workspace, source);
    if (found === undefined || found.length === 0) {
      if (!step.ifExists) problems.push({ where, message: `COPY ${source}: not found`, severity: "error" });
      continue;
    }
    items.push(...found);
  }
  const dest = posix.resolve(cwd, step.dest);
  const intoFolder = step.dest.endsWith("/") || step.sources.length > 1 || fs.get(dest)?.kind === "dir";
  for (const item of items) {
    const isFolder = item.tree.get("/")?.kind === "dir";
    if (isFolder && !step.isDir) {
      // Without --dir a folder's contents go to the destination itself.
      place(fs, posix.dirname(dest), { ...item, name: posix.basename(dest) }, true);
    } else if (intoFolder || isFolder) {
      place(fs, dest, item, true);
    } else {
      place(fs, posix.dirname(dest), { ...item, name: posix.basename(dest) }, true);
    }
  }
}

/** Workspace files matching `pattern` (`*` and `?` within a path segment). */
function localItems(workspace: string, pattern: string): Item[] {
  const segments = pattern.replace(/^\.\//, "").split("/").filter((s) => s !== "");
  let matches: string[] = [""];
  for (const segment of segments) {
    const next: string[] = [];
    for (const base of matches) {
      if (!/[*?[]/.test(segment)) {
        next.push(posix.join(base, segment));
        continue;
      }
      const re = globRegExp(segment);
      let names: string[] = [];
      try {
        names = readdirSync(join(workspace, base));
      } catch {
        names = [];
      }
      for (const name of names.sort()) if (re.test(name)) next.push(posix.join(base, name));
    }
    matches = next;
  }
  const items: Item[] = [];
  for (const relative of matches) {
    const tree = readLocal(join(workspace, relative));
    if (tree !== undefined) items.push({ name: posix.basename(relative), tree });
  }
  return items;
}

function readLocal(path: string): Tree | undefined {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    return undefined;
  }
  if (stats.isFile()) return new Map([["/", { kind: "file", source: path }]]);
  if (!stats.isDirectory()) return undefined;
  const tree = newTree();
  const walk = (dir: string, at: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const inTree = posix.join(at, name);
      const s = statSync(full);
      if (s.isDirectory()) {
        tree.set(inTree, { kind: "dir" });
        walk(full, inTree);
      } else if (s.isFile()) {
        tree.set(inTree, { kind: "file", source: full });
      }
    }
  };
  walk(path, "/");
  return tree;
}

function globRegExp(segment: string): RegExp {
  const escaped = segment.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
  return new RegExp(`^${escaped}$`);
}

/** What a path (its last segments may hold `*`) names in a tree, each with its own name. */
function select(tree: Tree, path: string): Item[] | undefined {
  const segments = path.split("/").filter((s) => s !== "" && s !== ".");
  let matches = ["/"];
  for (const segment of segments) {
    const re = globRegExp(segment);
    const next: string[] = [];
    for (const base of matches) {
      for (const key of tree.keys()) {
        if (key === "/" || posix.dirname(key) !== base) continue;
        if (re.test(posix.basename(key))) next.push(key);
      }
    }
    matches = next.sort();
  }
  if (matches.length === 0) return undefined;
  return matches.map((at) => ({ name: at === "/" ? "" : posix.basename(at), tree: subtree(tree, at) }));
}

function subtree(tree: Tree, at: string): Tree {
  const out: Tree = new Map();
  for (const [key, entry] of tree) {
    if (key === at) out.set("/", entry);
    else if (at === "/" ? key !== "/" : key.startsWith(`${at}/`)) out.set(at === "/" ? key : key.slice(at.length), entry);
  }
  return out;
}

function mkdirs(tree: Tree, path: string): void {
  let at = "/";
  for (const segment of path.split("/").filter((s) => s !== "")) {
    at = posix.join(at, segment);
    if (tree.get(at)?.kind !== "dir") tree.set(at, { kind: "dir" });
  }
}

/** Puts `item` inside folder `dir` under its name (an unnamed item's contents go into `dir`). */
function place(tree: Tree, dir: string, item: Item, create: boolean): void {
  if (create) mkdirs(tree, dir);
  const root = item.name === "" ? dir : posix.join(dir, item.name);
  for (const [key, entry] of item.tree) {
    const target = key === "/" ? root : posix.join(root, key);
    if (entry.kind === "dir") mkdirs(tree, target);
    else {
      mkdirs(tree, posix.dirname(target));
      tree.set(target, entry);
    }
  }
}
