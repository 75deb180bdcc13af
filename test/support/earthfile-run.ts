// Runs parts of the project's Earthfile for real, with Docker standing in for Earthly only where
// Earthly itself would run things: shell-outs run in a container that holds what the target
// COPYd so far, a FROM DOCKERFILE gets its build context laid out as Earthly hands it over
// (src/earthfile/artifacts.ts) and is built by BuildKit, and the steps after it are replayed as a
// Dockerfile (ARGs as build args, COPY from the workspace, RUN) on the image that build made.
// Anything the translation cannot model faithfully throws instead of being approximated.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix, relative } from "node:path";
import { execaSync } from "execa";
import { artifactFile, artifactLayout, type Tree } from "../../src/earthfile/artifacts.js";
import type { ShellOut, Step } from "../../src/earthfile/evaluate.js";
import type { EarthfileModel } from "../../src/earthfile/types.js";
import { dockerBuild, uniqueImageTag } from "./docker.js";

/** A shell-out runner: the command in `image`, with the state's workspace COPYs mounted in place. */
export function shellOutIn(image: string, workspace: string): (request: ShellOut) => string {
  return (request) => {
    const mounts: string[] = [];
    for (const copy of request.copies) {
      for (const source of copy.sources) {
        if (source.startsWith("+")) throw new Error(`shell-out after COPY ${source}: artifacts are not mounted by this runner`);
        const local = join(workspace, source);
        if (!existsSync(local)) {
          if (copy.ifExists) continue;
          throw new Error(`COPY ${source}: not in the workspace`);
        }
        const into = copy.dest.endsWith("/") || copy.sources.length > 1;
        const dest = into ? posix.join(copy.dest, posix.basename(source)) : copy.dest;
        mounts.push("-v", `${local}:${dest}:ro`);
      }
    }
    const env = Object.entries(request.env).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    const result = execaSync("docker", ["run", "--rm", "--network", "none", ...mounts, ...env, "--entrypoint", "/bin/sh", image, "-c", request.command], { reject: false, timeout: 60_000 });
    if (result.exitCode !== 0) throw new Error(`exit ${String(result.exitCode)}: ${result.stderr.trim()}`);
    return result.stdout;
  };
}

/** Writes a laid-out tree to `dir` (files copied from the workspace). */
export function writeTree(tree: Tree, dir: string): void {
  for (const [path, entry] of [...tree].sort(([a], [b]) => a.localeCompare(b))) {
    const target = join(dir, path);
    if (entry.kind === "dir") mkdirSync(target, { recursive: true });
    else {
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(entry.source, target);
    }
  }
}

/** Every path of a tree below "/", folders with a trailing slash, sorted: for comparisons. */
export function treePaths(tree: Tree): string[] {
  return [...tree].filter(([p]) => p !== "/").map(([p, e]) => (e.kind === "dir" ? `${p}/` : p)).sort();
}

/**
 * Builds a FROM DOCKERFILE step as Earthly would: its context and Dockerfile from the artifacts
 * they name, its build args, for its platform. Returns the image tag.
 */
export async function buildFromDockerfile(model: EarthfileModel, from: Extract<Step, { kind: "from" }>, vars: Record<string, string>, workspace: string, made: string[]): Promise<string> {
  if (from.source !== "dockerfile") throw new Error(`line ${from.line}: not a FROM DOCKERFILE`);
  const layout = artifactLayout(model, from.ref, vars, { workspace });
  if (layout.problems.length > 0) throw new Error(layout.problems.map((p) => `${p.where}: ${p.message}`).join("\n"));
  const dir = mkdtempSync(join(tmpdir(), "canvos-context-"));
  try {
    writeTree(layout.tree, dir);
    let file: string | undefined;
    if (from.dockerfile !== undefined) {
      const found = from.dockerfile.startsWith("+") ? artifactFile(model, from.dockerfile, vars, { workspace }) : { source: join(workspace, from.dockerfile), problems: [] };
      if (found.source === undefined) throw new Error(found.problems.map((p) => p.message).join("\n"));
      file = join(dir, ".canvos-dockerfile");
      copyFileSync(found.source, file);
    }
    const tag = uniqueImageTag("from-dockerfile");
    made.push(tag);
    await dockerBuild(dir, tag, from.buildArgs, file === undefined ? {} : { file });
    return tag;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Replays `steps` (WORKDIR, COPY from the workspace, RUN) on `base` as a Dockerfile whose build
 * args are the target's variables, which is how Earthly hands them to RUN. Returns the image tag.
 */
export async function replaySteps(base: string, steps: readonly Step[], vars: Record<string, string>, workspace: string, made: string[]): Promise<string> {
  const lines = [`FROM ${base}`, ...Object.keys(vars).map((name) => `ARG ${name}`)];
  for (const step of steps) {
    switch (step.kind) {
      case "workdir":
        lines.push(`WORKDIR ${JSON.stringify(step.path)}`);
        break;
      case "copy": {
        if (step.isDir) throw new Error(`line ${step.line}: COPY --dir has no Dockerfile equivalent`);
        const sources = step.sources.filter((s) => {
          if (s.startsWith("+")) throw new Error(`line ${step.line}: COPY ${s} from a target is not replayed`);
          if (/[*?[]/.test(s)) throw new Error(`line ${step.line}: COPY ${s}: wildcards are not replayed`);
          return existsSync(join(workspace, s)) || !step.ifExists;
        });
        if (sources.length === 0) break;
        lines.push(`COPY ${JSON.stringify([...sources.map((s) => relative(workspace, join(workspace, s)) || "."), step.dest])}`);
        break;
      }
      case "run":
        if (step.flags.length > 0) throw new Error(`line ${step.line}: RUN ${step.flags.join(" ")} is not replayed`);
        if (step.executes) lines.push(`RUN ${step.command}`);
        break;
      case "save-image":
      case "save-artifact":
        break;
      default:
        throw new Error(`line ${step.line}: ${step.kind} is not replayed`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), "canvos-replay-"));
  try {
    const file = join(dir, "Dockerfile");
    writeFileSync(file, `${lines.join("\n")}\n`);
    const tag = uniqueImageTag("replay");
    made.push(tag);
    await dockerBuild(workspace, tag, vars, { file });
    return tag;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The runner without Docker (for the fast contract tests) is the one `canvos images` uses.
export { shellOutLocally } from "../../src/earthfile/local-shell-out.js";
