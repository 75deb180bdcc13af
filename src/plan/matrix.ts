// The jobs a CI system fans out across runners: one per provider image (Kubernetes version), one for
// the ISO. Each carries the exact canvos command that builds its part with the same configuration.
import type { Problem } from "../errors.js";
import { isSensitive } from "../earthly/args.js";
import type { ResolveOptions, ResolvedConfig } from "../config/types.js";
import { providerImageRef } from "./images.js";
import { selectK8sVersions, shellQuote } from "./plan.js";
import { printable } from "../text.js";

export interface MatrixJob {
  /** Unique and safe as a job or artifact name. */
  name: string;
  kind: "provider" | "iso";
  arch: string;
  k8sVersion?: string;
  /** argv, program first: run it without a shell. */
  args: string[];
  /** The same, quoted for a POSIX shell (a `run:` step). */
  command: string;
  /** What the job yields: the provider image reference, or the ISO's path in the workspace. */
  image?: string;
  artifacts?: string[];
  /** Variables the job must get from the CI system (values canvos will not write into a command). */
  env: string[];
}

export interface Matrix {
  include: MatrixJob[];
}

export interface MatrixOptions {
  request: ResolveOptions;
  k8sVersions: readonly string[];
  push: boolean;
  /** Carried into every job: canvos --ci, and secrets by name (each job gets the value from CI). */
  ci?: boolean;
  secrets?: readonly string[];
}

/** The configuration flags every job repeats: the arg file and each override as --KEY=value. */
function carriedArgs(request: ResolveOptions): { args: string[]; env: string[] } {
  const args: string[] = [];
  const env: string[] = [];
  if (request.argFile !== undefined) args.push("--arg-file", request.argFile);
  for (const override of request.overrides) {
    // A password in a proxy URL or a token must not sit in a CI definition: the job takes it from
    // its environment (HTTP_PROXY and friends fall back to it) or its secrets.
    if (isSensitive(override.key, override.value)) env.push(override.key);
    else args.push(`--${override.key}=${override.value}`);
  }
  return { args, env };
}

export function createMatrix(options: MatrixOptions, resolved: ResolvedConfig): { matrix: Matrix; warnings: Problem[] } {
  const { config } = resolved;
  const versions = selectK8sVersions(resolved, options.k8sVersions);
  const carried = carriedArgs(options.request);
  const runnerArgs = [...(options.ci ? ["--ci"] : []), ...[...new Set(options.secrets ?? [])].flatMap((name) => ["--secret", name])];
  const heldBack = [...carried.env];
  carried.args.unshift(...runnerArgs);
  carried.env.push(...new Set(options.secrets ?? []));
  const job = (partial: Omit<MatrixJob, "command" | "arch" | "env">): MatrixJob => ({
    ...partial,
    arch: config.ARCH,
    command: partial.args.map(shellQuote).join(" "),
    env: [...carried.env],
  });
  const include: MatrixJob[] = versions.map((version) =>
    job({
      name: `provider-${config.K8S_DISTRIBUTION}-${version}-${config.ARCH}`,
      kind: "provider",
      k8sVersion: version,
      args: ["canvos", "provider", "--k8s-version", version, ...(options.push ? ["--push"] : []), ...carried.args],
      image: providerImageRef(config, version),
    }),
  );
  include.push(
    job({
      name: `iso-${config.ARCH}`,
      kind: "iso",
      args: ["canvos", "iso", ...carried.args],
      artifacts: [`build/${config.ISO_NAME}.iso`, `build/${config.ISO_NAME}.iso.sha256`],
    }),
  );
  const warnings: Problem[] = [];
  for (const name of heldBack) warnings.push({ where: `--${name}`, severity: "warning", message: `not written into the jobs' commands (it holds a secret): give each job ${name} in its environment` });
  return { matrix: { include }, warnings };
}

export function renderMatrix(matrix: Matrix): string {
  const lines: string[] = [];
  for (const job of matrix.include) {
    lines.push(printable(job.name));
    lines.push(`  run:    ${printable(job.command)}`);
    if (job.image !== undefined) lines.push(`  yields: ${printable(job.image)}`);
    for (const artifact of job.artifacts ?? []) lines.push(`  yields: ${printable(artifact)}`);
    if (job.env.length > 0) lines.push(`  needs:  ${job.env.join(", ")} in the environment`);
  }
  return lines.join("\n") + "\n";
}
