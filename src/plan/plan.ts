// The plan of a build, as data: what Earthly will be asked to do and what it must produce. The
// dry run prints it, the runner executes it, verification and the manifest check against it.
import { BUILDS_ISO, BUILDS_PROVIDERS, K8S_VERSIONS_ARG, TARGET_OF, type BuildCommand } from "./targets.js";
import { baseImageRef, installerImageRef, providerImageRef } from "./images.js";
import { profileFields, type ProfileFields } from "./profile.js";
import { buildArgs, earthlyArgs, globalFlags, maskArgs, maskArgv } from "../earthly/args.js";
import { MATRIX_FILE_NAME, versionsFor } from "../config/k8s-matrix.js";
import { k8sVersionProblem } from "../config/rules.js";
import type { ResolvedConfig } from "../config/types.js";
import { ConfigError, type Problem } from "../errors.js";
import { printable } from "../text.js";

export interface PlannedImage {
  ref: string;
  /** The Earthly target that saves it, as Earthly names it in its summary. */
  target: string;
  kind: "provider" | "installer" | "base";
  /** Pushed to the registry (with --push); otherwise only loaded into the local Docker. */
  push: boolean;
}

/** One process canvos starts for the run, as it will start it. */
export interface PlannedProcess {
  /** What it is for, in a few words. */
  purpose: string;
  /** Program first; sensitive build args masked, secrets only ever by name. */
  argv: string[];
  /** What canvos puts in its environment: `NAME=value`, or `NAME` alone for a value never shown (a secret, a proxy URL). */
  env: string[];
  /** Set when it runs only sometimes. */
  when?: string;
}

export interface BuildPlan {
  command: BuildCommand;
  target: string;
  /** The full Earthly command line, binary first. Carries real values: never print it, print `display`. */
  argv: string[];
  buildArgs: Record<string, string>;
  /** Build args secret as a whole (ResolvedConfig.secretKeys): masked, kept off the argv. */
  secretKeys: ReadonlySet<string>;
  flags: string[];
  k8sVersions: string[];
  images: PlannedImage[];
  /** Relative to the workspace. */
  artifacts: string[];
  profile: ProfileFields;
  push: boolean;
  registry: string;
  warnings: Problem[];
  /** Every process of the run, in order (the runner's part: planBuild fills it in). */
  processes: PlannedProcess[];
}

export interface PlanRequest {
  command: BuildCommand;
  resolved: ResolvedConfig;
  earthly: string;
  /** From --k8s-version (repeatable, comma-separated); empty means the default selection. */
  k8sVersions: readonly string[];
  push: boolean;
  noCache: boolean;
  earthlyFlags: readonly string[];
  /** Path parameters as Earthly must see them: files from outside the workspace, staged into it. */
  pathArgs?: Readonly<Record<string, string>>;
}

const VERSION_SHAPE = /^v?\d+\.\d+\.\d+$/;

/**
 * The Kubernetes versions to build: the flag's, else K8S_VERSION, else the distribution's whole
 * matrix. A version outside the matrix is refused by the same rule as K8S_VERSION (k8sVersionProblem).
 */
export function selectK8sVersions(resolved: ResolvedConfig, requested: readonly string[]): string[] {
  const { config, matrix } = resolved;
  const known = versionsFor(config.K8S_DISTRIBUTION, config.FIPS_ENABLED, matrix);
  const wanted = requested.flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
  if (wanted.length === 0) {
    const versions = config.K8S_VERSION !== "" ? [config.K8S_VERSION] : [...known];
    if (versions.length === 0) {
      throw new ConfigError(`no Kubernetes versions are known for ${config.K8S_DISTRIBUTION}${config.FIPS_ENABLED ? " with FIPS" : ""}`, [], `add some to ${MATRIX_FILE_NAME}`);
    }
    return versions;
  }
  const problems: Problem[] = [];
  for (const v of wanted) {
    if (!VERSION_SHAPE.test(v)) problems.push({ where: "--k8s-version", severity: "error", message: `"${v}" is not a Kubernetes version like 1.27.2` });
    else {
      const problem = k8sVersionProblem(v, config.K8S_DISTRIBUTION, config.FIPS_ENABLED, matrix);
      if (problem !== undefined) problems.push({ where: "--k8s-version", severity: "error", message: problem });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.length === 1 ? "invalid --k8s-version" : `${problems.length} invalid --k8s-version values`, problems);
  return [...new Set(wanted)];
}

export function createPlan(request: PlanRequest): BuildPlan {
  const { command, resolved } = request;
  const { config } = resolved;
  const target = TARGET_OF[command];
  const providers = BUILDS_PROVIDERS[command];
  const versions = providers ? selectK8sVersions(resolved, request.k8sVersions) : [];
  // The whole selection goes to one Earthly run as one arg: the Earthfile builds it as a parallel matrix.
  const additions: Record<string, string> = { ...request.pathArgs, ...(providers ? { [K8S_VERSIONS_ARG]: versions.join(",") } : {}) };
  const args = buildArgs(resolved, additions);
  const flags = globalFlags({ push: request.push, noCache: request.noCache, extra: request.earthlyFlags });
  const images: PlannedImage[] = versions.map((v) => ({ ref: providerImageRef(config, v), target: "+provider-image", kind: "provider", push: request.push }));
  // +iso reaches the installer image through BUILD, so Earthly outputs it whenever the ISO is built.
  if (BUILDS_ISO[command]) images.push({ ref: installerImageRef(config), target: "+iso-image", kind: "installer", push: false });
  if (command === "base") images.push({ ref: baseImageRef(config), target: "+base-image", kind: "base", push: false });
  const artifacts = BUILDS_ISO[command] ? [`build/${config.ISO_NAME}.iso`, `build/${config.ISO_NAME}.iso.sha256`] : [];
  return {
    command,
    target,
    argv: [request.earthly, ...earthlyArgs(flags, target, args, resolved.secretKeys)],
    buildArgs: args,
    secretKeys: resolved.secretKeys,
    flags,
    k8sVersions: versions,
    images,
    artifacts,
    profile: profileFields(config),
    push: request.push,
    registry: config.IMAGE_REGISTRY,
    warnings: [...resolved.warnings],
    processes: [],
  };
}

/** The plan as it may be shown or printed as JSON: sensitive values masked. */
export function planJson(plan: BuildPlan): Record<string, unknown> {
  return {
    command: plan.command,
    target: plan.target,
    argv: maskArgv(plan.argv, plan.secretKeys),
    buildArgs: maskArgs(plan.buildArgs, plan.secretKeys),
    k8sVersions: plan.k8sVersions,
    push: plan.push,
    images: plan.images.map((i) => i.ref),
    artifacts: plan.artifacts,
    profile: plan.profile,
    warnings: plan.warnings.map((w) => `${w.where}: ${w.message}`),
    processes: plan.processes,
  };
}

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one word for a POSIX shell; plain words stay plain. */
export function shellQuote(word: string): string {
  if (word !== "" && SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command as a shell would take it, each build arg (`--KEY=value`) on a line of its own. */
function renderCommand(argv: readonly string[], indent: string): string[] {
  const lines: string[] = [];
  let line: string[] = [];
  for (const word of argv.map(printable)) {
    if (/^--[A-Z_][A-Z0-9_]*=/.test(word) && line.length > 0) {
      lines.push(line.join(" "));
      line = [];
    }
    line.push(shellQuote(word));
  }
  lines.push(line.join(" "));
  return lines.map((text, i) => `${indent}${i > 0 ? "  " : ""}${text}${i < lines.length - 1 ? " \\" : ""}`);
}

/** The human dry-run output. */
export function renderPlan(plan: BuildPlan): string {
  const lines = [`canvos ${plan.command}: Earthly target ${plan.target}`, "", "Processes, in order:"];
  plan.processes.forEach((process, i) => {
    lines.push(`  ${i + 1}. ${process.purpose}${process.when !== undefined ? ` (${process.when})` : ""}:`);
    lines.push(...renderCommand(process.argv, "     "));
    if (process.env.length > 0) lines.push(`     environment: ${process.env.map(printable).join(" ")}`);
  });
  if (plan.k8sVersions.length > 0) lines.push("", `Kubernetes versions (${plan.k8sVersions.length}, one parallel run): ${plan.k8sVersions.join(", ")}`);
  lines.push("", plan.images.length > 0 ? "Images:" : "Images: none");
  for (const image of plan.images) lines.push(`  ${printable(image.ref)}  (${image.push ? "pushed" : "local Docker only"})`);
  lines.push("", plan.artifacts.length > 0 ? "Artifacts:" : "Artifacts: none");
  for (const artifact of plan.artifacts) lines.push(`  ${printable(artifact)}`);
  if (plan.warnings.length > 0) {
    lines.push("", "Warnings:");
    for (const w of plan.warnings) lines.push(`  ${printable(w.where)}: ${printable(w.message)}`);
  }
  lines.push("", "Dry run: nothing was run.");
  return lines.join("\n") + "\n";
}
