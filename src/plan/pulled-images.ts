// Every image the configured build pulls and every file it downloads, worked out the way the build
// itself gets there: the plan's build args, the workspace's Earthfile evaluated from the planned
// target through every FROM, BUILD and COPY +target it reaches (src/earthfile/evaluate.ts), the
// user's Dockerfile FROM lines with the build args Earthly hands it, and the runner's own images.
// Nothing here lists images by hand: an edit of the Earthfile changes the answer.
import { join } from "node:path";
import { artifactFile } from "../earthfile/artifacts.js";
import { evaluateTarget, NATIVE, type Platform, type Step } from "../earthfile/evaluate.js";
import { expandTag } from "../earthfile/expand.js";
import { flagWords, isTargetRef, logicalLines, splitWords } from "../earthfile/lexer.js";
import { shellOutLocally } from "../earthfile/local-shell-out.js";
import type { EarthfileModel } from "../earthfile/types.js";
import { defaultBuildkitImage, defaultEarthlyImage } from "../earthly/docker-runner.js";
import { proxyEnv } from "../earthly/runner-setup.js";
import type { Engine } from "../earthly/engine.js";
import { PARAMETERS } from "../config/parameters.js";
import { splitReference } from "../config/image-ref.js";
import type { ResolvedConfig } from "../config/types.js";
import type { WorkspaceEarthfile } from "../config/earthfile-args.js";
import { ConfigError, type Problem } from "../errors.js";
import { readRegularFileSync } from "../workspace/safe-fs.js";
import { createPlan } from "./plan.js";
import type { BuildCommand } from "./targets.js";

export interface PulledImage {
  ref: string;
  /** What pulls it: Earthfile targets (`+stylus-image`), the user's Dockerfile, or the runner. */
  neededBy: string[];
  /** The platforms it is pulled for: `linux/arm64`, or `native` (the build host's own). */
  platforms: Platform[];
  /**
   * The settings that point the build at another copy: the prefix parameters of that value (two
   * when SPECTRO_PUB_REPO and KAIROS_BASE_IMAGE_URL are the same), BASE_IMAGE, or a runner flag.
   */
  settings: string[];
  /** The value of that prefix parameter, when the image sits under one. */
  prefix?: string;
  /** Its path after the prefix (after its registry when under none): what a mirror keeps. */
  path: string;
  /** Every tag of a repository rather than one image (luet's package repository). */
  wholeRepository?: true;
}

export interface Download {
  url: string;
  neededBy: string[];
}

export interface PulledSet {
  images: PulledImage[];
  downloads: Download[];
  /** Conditions the evaluation could not judge (images on such a branch may be missing). */
  warnings: Problem[];
}

export interface RunnerImages {
  kind: "native" | "docker";
  engine: Engine;
  earthlyImage?: string | undefined;
  buildkitImage?: string | undefined;
  /** A remote BuildKit: proxy mode then starts no helper. */
  buildkitHost?: string | undefined;
}

export interface PulledRequest {
  resolved: ResolvedConfig;
  /** The workspace's Earthfile, as the configuration was checked against it. */
  earthfile: WorkspaceEarthfile;
  cwd: string;
  command: BuildCommand;
  k8sVersions: readonly string[];
  runner: RunnerImages;
}

const MAX_FILE = 2 * 1024 * 1024;
const PREFIX_KEYS = PARAMETERS.filter((p) => p.group === "registry" && p.kind === "string").map((p) => p.name);

/**
 * What the step scripts a RUN executes fetch, from the target's variables. The scripts compute
 * these themselves; test/plan/pulled-images.test.ts holds each formula against its script.
 */
const SCRIPT_FETCHES: ReadonlyArray<{ script: string; images?: (v: Record<string, string>) => string[]; downloads?: (v: Record<string, string>) => string[] }> = [
  {
    script: "luet-repo.sh",
    images: (v) => [`${trimSlash(v["SPECTRO_LUET_REPO"])}/${v["ARCH"] === "arm64" ? "luet-repo-arm" : "luet-repo"}`],
  },
  {
    script: "download-etcdctl.sh",
    downloads: (v) => {
      const base = `${trimSlash(v["ETCD_REPO"])}/etcd/releases/download/${v["ETCD_VERSION"] ?? ""}`;
      return [`${base}/etcd-${v["ETCD_VERSION"] ?? ""}-linux-${v["ARCH"] ?? ""}.tar.gz`, `${base}/SHA256SUMS`];
    },
  },
];

function trimSlash(value: string | undefined): string {
  return (value ?? "").replace(/\/+$/, "");
}

export function pulledImages(request: PulledRequest): PulledSet {
  const { resolved, cwd } = request;
  const config = resolved.config;
  const plan = createPlan({ command: request.command, resolved, earthly: "earthly", k8sVersions: request.k8sVersions, push: false, noCache: false, earthlyFlags: [] });
  if ("unreadable" in request.earthfile) {
    throw new ConfigError(`cannot read the Earthfile in ${cwd}: ${request.earthfile.unreadable}`, [], "run canvos in the workspace (the folder with the Earthfile and .arg)");
  }
  const model = request.earthfile.model;
  const images = new Map<string, { neededBy: Set<string>; platforms: Set<Platform>; wholeRepository: boolean; flag?: string }>();
  const downloads = new Map<string, Set<string>>();
  const problems: Problem[] = [];
  const add = (ref: string, by: string, platform: Platform, wholeRepository = false, flag?: string): void => {
    const entry = images.get(ref) ?? { neededBy: new Set<string>(), platforms: new Set<Platform>(), wholeRepository, ...(flag !== undefined ? { flag } : {}) };
    entry.neededBy.add(by);
    entry.platforms.add(platform);
    images.set(ref, entry);
  };

  // The same shell-out runs many times (each provider version reaches +base-image): once is enough.
  const run = shellOutLocally(cwd);
  const shellOutCache = new Map<string, string>();
  const shellOut: typeof run = (shell) => {
    const key = JSON.stringify([shell.command, shell.env, shell.copies.map((c) => [c.sources, c.dest])]);
    const cached = shellOutCache.get(key);
    if (cached !== undefined) return cached;
    const output = run(shell);
    shellOutCache.set(key, output);
    return output;
  };

  const walked = new Set<string>();
  const walk = (target: string, values: Record<string, string>, platform: Platform): void => {
    const name = target.replace(/^\+/, "");
    const key = JSON.stringify([name, platform, values]);
    if (walked.has(key)) return;
    walked.add(key);
    const evaluation = evaluateTarget(model, name, values, { platform, shellOut });
    problems.push(...evaluation.problems);
    const by = `+${name}`;
    for (const step of evaluation.steps) {
      if (step.kind === "from") {
        if (step.source === "image") add(step.ref, by, step.platform);
        else if (step.source === "target") walk(step.ref, { ...values, ...step.buildArgs }, step.requested ?? step.platform);
        else if (step.source === "dockerfile") {
          for (const from of dockerfileFroms(model, step, values, cwd, shellOut, problems)) add(from.ref, `${by} (Dockerfile)`, from.platform);
        }
      } else if (step.kind === "build") {
        if (isLocalTarget(step.target)) walk(step.target, { ...values, ...step.args }, step.platform);
      } else if (step.kind === "copy") {
        for (const source of step.sources) {
          const artifact = /^\+([A-Za-z0-9._-]+)\//.exec(source);
          if (artifact) walk(`+${artifact[1] ?? ""}`, values, step.platform);
        }
      } else if (step.kind === "run" && step.executes) {
        for (const fetch of SCRIPT_FETCHES) {
          if (!runsScript(step, fetch.script)) continue;
          for (const ref of fetch.images?.(evaluation.vars) ?? []) add(ref, by, platform, true);
          for (const url of fetch.downloads?.(evaluation.vars) ?? []) downloads.set(url, (downloads.get(url) ?? new Set<string>()).add(by));
        }
      }
    }
  };
  walk(plan.target, plan.buildArgs, NATIVE);

  const errors = dedupe(problems.filter((p) => p.severity === "error"));
  if (errors.length > 0) throw new ConfigError("cannot tell every image the build pulls: the Earthfile does not evaluate for this configuration", errors);

  const { runner } = request;
  if (runner.kind === "docker") {
    add(runner.earthlyImage ?? defaultEarthlyImage(config.SPECTRO_PUB_REPO, runner.engine), "the docker runner", NATIVE, false, "--earthly-image");
    if (proxyEnv(config) !== undefined && runner.buildkitHost === undefined) {
      add(runner.buildkitImage ?? defaultBuildkitImage(config.SPECTRO_PUB_REPO, runner.engine), "the docker runner's BuildKit (proxy mode)", NATIVE, false, "--buildkit-image");
    }
  }

  const prefixes = PREFIX_KEYS.map((key) => ({ key, value: trimSlash((config as unknown as Record<string, string>)[key]) })).filter((p) => p.value !== "");
  const result: PulledImage[] = [];
  for (const [ref, entry] of images) {
    const placed = placement(ref, prefixes, config.BASE_IMAGE, entry.flag);
    result.push({
      ref,
      neededBy: [...entry.neededBy],
      platforms: [...entry.platforms].sort(),
      ...placed,
      ...(entry.wholeRepository ? { wholeRepository: true as const } : {}),
    });
  }
  result.sort((a, b) => a.ref.localeCompare(b.ref));
  return {
    images: result,
    downloads: [...downloads].map(([url, by]) => ({ url, neededBy: [...by] })),
    warnings: dedupe(problems.filter((p) => p.severity === "warning")),
  };
}

function isLocalTarget(ref: string): boolean {
  return isTargetRef(ref) && ref.startsWith("+");
}

function runsScript(step: Extract<Step, { kind: "run" }>, script: string): boolean {
  return splitWords(step.command).some((word) => word === script || word.endsWith(`/${script}`));
}

function dedupe(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.where}\n${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Under which setting an image sits, and its path below it. */
function placement(ref: string, prefixes: readonly { key: string; value: string }[], baseImage: string, flag: string | undefined): { settings: string[]; prefix?: string; path: string } {
  if (ref === baseImage) return { settings: ["BASE_IMAGE"], path: pathOf(ref) };
  // The longest prefix wins: a mirror of one prefix may sit inside another's.
  const under = prefixes.filter((p) => ref.startsWith(`${p.value}/`)).sort((a, b) => b.value.length - a.value.length)[0];
  if (under !== undefined) return { settings: prefixes.filter((p) => p.value === under.value).map((p) => p.key), prefix: under.value, path: ref.slice(under.value.length + 1) };
  // Under no prefix (EarthBuild's images, a --earthly-image): only the runner's flag moves it.
  return { settings: flag === undefined ? [] : [flag], path: pathOf(ref) };
}

/** The repository path and tag of a reference, without its registry. */
function pathOf(ref: string): string {
  const { path, tag, digest } = splitReference(ref);
  return `${path}${tag !== undefined ? `:${tag}` : ""}${digest !== undefined ? `@${digest}` : ""}`;
}

/**
 * The images a FROM DOCKERFILE's Dockerfile starts from: its FROM lines, with the ARGs before the
 * first FROM set from the build args Earthly passes (Docker lets only those reach a FROM).
 */
function dockerfileFroms(
  model: EarthfileModel,
  step: Extract<Step, { kind: "from" }>,
  values: Record<string, string>,
  cwd: string,
  shellOut: (request: Parameters<ReturnType<typeof shellOutLocally>>[0]) => string,
  problems: Problem[],
): { ref: string; platform: Platform }[] {
  let file: string | undefined;
  if (step.dockerfile !== undefined && step.dockerfile.startsWith("+")) {
    const found = artifactFile(model, step.dockerfile, values, { workspace: cwd, shellOut });
    problems.push(...found.problems);
    file = found.source;
  } else if (step.dockerfile !== undefined) file = join(cwd, step.dockerfile);
  else if (!step.ref.startsWith("+")) file = join(cwd, step.ref, "Dockerfile");
  if (file === undefined) {
    problems.push({ where: `${model.file}:${step.line}`, message: "cannot tell which Dockerfile FROM DOCKERFILE builds", severity: "error" });
    return [];
  }
  let text: string;
  try {
    text = readRegularFileSync(file, MAX_FILE).toString("utf8");
  } catch (error) {
    problems.push({ where: `${model.file}:${step.line}`, message: `cannot read the Dockerfile ${file}: ${(error as Error).message}`, severity: "error" });
    return [];
  }
  const meta: Record<string, string> = {};
  const stages = new Set<string>();
  const froms: { ref: string; platform: Platform }[] = [];
  let seenFrom = false;
  for (const line of logicalLines(text)) {
    const [keyword = "", ...rest] = splitWords(line.text);
    const upper = keyword.toUpperCase();
    if (upper === "ARG" && !seenFrom) {
      for (const word of rest) {
        const [name = "", ...value] = word.split("=");
        meta[name] = step.buildArgs[name] ?? (value.length > 0 ? expandTag(value.join("="), meta) : "");
      }
    } else if (upper === "FROM") {
      seenFrom = true;
      const { flags, rest: words } = flagWords(rest);
      const ref = expandTag(words[0] ?? "", meta);
      const alias = words[1]?.toUpperCase() === "AS" ? words[2] : undefined;
      if (ref !== "" && ref !== "scratch" && !stages.has(ref)) {
        const platform = flags.find((f) => f.startsWith("--platform="));
        froms.push({ ref, platform: platform === undefined ? step.platform : expandTag(platform.slice("--platform=".length), meta) });
      }
      if (alias !== undefined) stages.add(alias);
    }
  }
  return froms;
}

/** The `.arg` lines (and flags) that point the build at a mirror holding each image under `to`. */
export function mirrorArgLines(images: readonly Pick<PulledImage, "settings" | "prefix" | "path">[], to: string): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const image of images) {
    for (const setting of image.settings) {
      if (seen.has(setting)) continue;
      seen.add(setting);
      if (image.prefix !== undefined) lines.push(`${setting}=${to}`);
      else if (setting === "BASE_IMAGE") lines.push(`BASE_IMAGE=${to}/${image.path}`);
      else lines.push(`# and build with ${setting} ${to}/${image.path}`);
    }
  }
  return lines;
}
