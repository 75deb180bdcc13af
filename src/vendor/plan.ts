// The plan of a vendor base image build, as data: the `docker build` canvos will run (secrets by
// name only), the image it makes and the .arg lines it ends with. The dry run prints it; the run
// executes it. Nothing here touches the machine.
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { ConfigError, type Problem } from "../errors.js";
import { checkImageFlag } from "../earthly/runner-options.js";
import { shellQuote } from "../plan/plan.js";
import { printable } from "../text.js";
import { allSecrets, FLAVOUR_SPECS, KAIROS_VERSION, type Flavour, type FlavourSpec, type VendorSecret } from "./flavours.js";

/** Where the definitions live: vendor-base/ of the installed package (the build context). */
export const VENDOR_BASE_DIR = fileURLToPath(new URL("../../vendor-base/", import.meta.url));

export interface VendorOptions {
  flavour: Flavour;
  /** The image to make; without it a local name, `canvos-vendor-base/<flavour>:<Kairos version>`. */
  tag: string | undefined;
  push: boolean;
  noCache: boolean;
  vendorImage: string | undefined;
  frameworkImage: string | undefined;
  kairosVersion: string | undefined;
  /** The docker CLI (BuildKit builds need Docker 20.10 or later, or the buildx plugin). */
  docker: string;
  env: NodeJS.ProcessEnv;
}

export interface VendorPlan {
  flavour: Flavour;
  /** Relative to the package: vendor-base/<definition>/Dockerfile. */
  definition: string;
  image: string;
  push: boolean;
  platform: string;
  /** The whole command, binary first. Holds no secret value: BuildKit reads them from its environment. */
  argv: string[];
  /** The environment the build needs on top of the user's. */
  env: Record<string, string>;
  buildArgs: Record<string, string>;
  /** Every secret the definition mounts, whether its variable is set, and whether this build passes it. */
  secrets: { id: string; env: string; set: boolean; passed: boolean }[];
  /** What the user must have for this flavour. */
  needs: string;
  /** The lines to put in .arg afterwards. */
  arg: Record<string, string>;
  distribution: string;
  arch: string;
  warnings: string[];
}

const isSet = (env: NodeJS.ProcessEnv, secret: VendorSecret): boolean => (env[secret.env] ?? "") !== "";

/**
 * The secrets the user has not set, from the set of alternatives closest to complete; empty when
 * one set is complete.
 */
export function missingSecrets(spec: FlavourSpec, env: NodeJS.ProcessEnv): VendorSecret[] {
  if (spec.secretSets.some((set) => set.every((s) => isSet(env, s)))) return [];
  const closest = [...spec.secretSets].sort((a, b) => b.filter((s) => isSet(env, s)).length - a.filter((s) => isSet(env, s)).length)[0] ?? [];
  return closest.filter((s) => !isSet(env, s));
}

/** Every unset secret at once, as one ConfigError; nothing has run. */
export function requireSecrets(flavour: Flavour, env: NodeJS.ProcessEnv): void {
  const spec = FLAVOUR_SPECS[flavour];
  const missing = missingSecrets(spec, env);
  if (missing.length === 0) return;
  const others = spec.secretSets.filter((set) => !set.some((s) => missing.includes(s))).map((set) => set.map((s) => s.env).join(" and "));
  const problems: Problem[] = missing.map((s) => ({ where: s.env, severity: "error", message: `not set: the build's secret ${s.id} comes from this environment variable` }));
  throw new ConfigError(
    `vendor-base ${flavour} needs ${spec.needs}; ${missing.length === 1 ? "1 variable is" : `${missing.length} variables are`} not set, nothing was built`,
    problems,
    `export ${missing.map((s) => `${s.env}=...`).join(" ")} before running canvos (in CI: from its secret store)${others.length > 0 ? `, or set ${others.join(" or ")} instead` : ""}`,
  );
}

export function createVendorPlan(options: VendorOptions): VendorPlan {
  const spec = FLAVOUR_SPECS[options.flavour];
  const kairosVersion = options.kairosVersion ?? KAIROS_VERSION;
  if (!/^v\d+\.\d+\.\d+$/.test(kairosVersion)) throw new ConfigError("invalid --kairos-version", [{ where: "--kairos-version", severity: "error", message: `${printable(kairosVersion)} is not a Kairos release like ${KAIROS_VERSION}` }]);
  const tag = checkImageFlag("--tag", options.tag);
  if (options.push && tag === undefined) throw new ConfigError("--push needs --tag", [], "name the image in your registry: --tag registry.example.com/edge/" + options.flavour + ":" + kairosVersion);
  const image = tag ?? `canvos-vendor-base/${options.flavour}:${kairosVersion}`;
  const framework = checkImageFlag("--framework-image", options.frameworkImage) ?? (options.kairosVersion === undefined ? spec.framework : spec.framework.replace(KAIROS_VERSION, kairosVersion));
  const buildArgs = {
    VENDOR_BASE: checkImageFlag("--vendor-image", options.vendorImage) ?? spec.vendorImage,
    KAIROS_FRAMEWORK: framework,
    KAIROS_VERSION: kairosVersion,
    ...spec.definitionArgs,
  };
  const secrets = allSecrets(spec).map((s) => ({ id: s.id, env: s.env, set: isSet(options.env, s), passed: isSet(options.env, s) }));
  const platform = `linux/${spec.arch}`;
  const definition = `vendor-base/${spec.definition}/Dockerfile`;
  const argv = [
    options.docker,
    "build",
    "--progress=plain",
    "--platform",
    platform,
    "--file",
    join(VENDOR_BASE_DIR, spec.definition, "Dockerfile"),
    "--tag",
    image,
    ...(options.noCache ? ["--no-cache"] : []),
    ...Object.entries(buildArgs).flatMap(([key, value]) => ["--build-arg", `${key}=${value}`]),
    // BuildKit reads each value from the docker CLI's environment: never a command line, a file or a layer.
    ...secrets.filter((s) => s.passed).flatMap((s) => ["--secret", `id=${s.id},env=${s.env}`]),
    VENDOR_BASE_DIR.replace(/\/$/, ""),
  ];
  const arg: Record<string, string> = { BASE_IMAGE: image, OS_DISTRIBUTION: spec.distribution };
  if (spec.osVersion !== undefined) arg["OS_VERSION"] = spec.osVersion;
  if (spec.fips) arg["FIPS_ENABLED"] = "true";
  const warnings = missingSecrets(spec, options.env).map((s) => `${s.env} is not set: a real run stops before building`);
  return { flavour: options.flavour, definition, image, push: options.push, platform, argv, env: { DOCKER_BUILDKIT: "1" }, buildArgs, secrets, needs: spec.needs, arg, distribution: spec.distribution, arch: spec.arch, warnings };
}

export function vendorPlanJson(plan: VendorPlan): Record<string, unknown> {
  return {
    command: "vendor-base",
    flavour: plan.flavour,
    definition: plan.definition,
    argv: plan.argv,
    env: plan.env,
    buildArgs: plan.buildArgs,
    secrets: plan.secrets,
    needs: plan.needs,
    images: [plan.image],
    push: plan.push,
    platform: plan.platform,
    arg: plan.arg,
    warnings: plan.warnings,
  };
}

/** The .arg lines, for stdout. */
export function argLines(plan: VendorPlan): string {
  return Object.entries(plan.arg).map(([key, value]) => `${key}=${value}\n`).join("");
}

/** The flags of the build command that take a value: shown with it, one pair per line. */
const VALUE_FLAGS = new Set(["--platform", "--file", "--tag", "--build-arg", "--secret"]);

export function renderVendorPlan(plan: VendorPlan): string {
  const argv = plan.argv.map(printable).map(shellQuote);
  const lines = [`canvos vendor-base ${plan.flavour}: ${plan.definition}`, "", "Build command:"];
  const words: string[] = [];
  for (let i = 2; i < argv.length; i++) words.push(VALUE_FLAGS.has(plan.argv[i] ?? "") ? `${argv[i]} ${argv[++i] ?? ""}` : (argv[i] ?? ""));
  lines.push(`  ${Object.entries(plan.env).map(([k, v]) => `${k}=${v}`).join(" ")} ${argv.slice(0, 2).join(" ")} \\`);
  words.forEach((word, i) => lines.push(`    ${word}${i < words.length - 1 ? " \\" : ""}`));
  lines.push("", `Needs: ${plan.needs}`, "Secrets (by name; values only in the docker CLI's environment):");
  for (const s of plan.secrets) lines.push(`  ${s.id} from $${s.env}: ${s.set ? "set" : "not set"}`);
  lines.push("", `Image: ${printable(plan.image)}  (${plan.push ? "pushed" : "local Docker only"}), checked for ${plan.platform} and KAIROS_FLAVOR=${plan.distribution}`);
  lines.push("", "Then, for .arg:");
  for (const [key, value] of Object.entries(plan.arg)) lines.push(`  ${key}=${printable(value)}`);
  if (plan.warnings.length > 0) {
    lines.push("", "Warnings:");
    for (const w of plan.warnings) lines.push(`  ${printable(w)}`);
  }
  lines.push("", "Dry run: nothing was run.");
  return lines.join("\n") + "\n";
}
