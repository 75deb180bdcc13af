// The Earthly argument vector: global flags, then the target, then every build arg as --KEY=value
// (earthly.md: anything after the target is a build arg, so global flags must come first).
import { ConfigError } from "../errors.js";
import { quote } from "../text.js";
import { PARAMETERS } from "../config/parameters.js";
import type { ResolvedConfig } from "../config/types.js";
import { maskValue, secretPart } from "../config/resolve.js";
import { godotenvQuote } from "../config/arg-file.js";

/**
 * Where Earthly is told to read build args from: canvos writes it for each run (mode 0600) with
 * only the values that must not appear on a command line, where `ps` would show them. Pointing
 * Earthly at it also stops it from reading `./.arg` by itself when the user chose another arg
 * file. Relative, so it also works with the workspace mounted in a container.
 */
export const ARG_FILE = ".canvos/build.arg";

/**
 * Earthly also reads `.secret` (secrets) and `.env` (its own settings) from its working directory
 * by itself (earthly.md). canvos points it at files of its own, empty, so nothing reaches a build
 * that canvos did not check, show masked, or pass by name (`--secret NAME`).
 */
export const SECRET_FILE = ".canvos/build.secret";
export const ENV_FILE = ".canvos/build.env";

/** Every file canvos writes for one Earthly run, with its content; all go when the run ends. */
export function runFiles(args: Readonly<Record<string, string>>, secretKeys?: SecretKeys): Record<string, string> {
  return { [ARG_FILE]: argFileText(args, secretKeys), [SECRET_FILE]: "", [ENV_FILE]: "" };
}

export interface GlobalFlagOptions {
  push: boolean;
  noCache: boolean;
  /** Pass-through flags for Earthly (`--earthly-flag=--strict`). */
  extra: readonly string[];
}

// Flags canvos sets itself: passing them through would break the guarantee that Earthly sees exactly
// the resolved configuration.
const RESERVED_FLAGS = ["--arg-file-path", "--secret-file-path", "--env-file-path", "--build-arg", "--push", "--no-cache"];

export function checkPassThrough(flags: readonly string[]): void {
  const problems = [];
  for (const flag of flags) {
    const name = flag.split("=")[0] ?? flag;
    if (!flag.startsWith("-")) problems.push({ where: "--earthly-flag", severity: "error" as const, message: `${quote(name)}${flag.includes("=") ? "=…" : ""} is not a flag (Earthly flags start with -)` });
    else if (name === "--secret" || name === "-s" || name === "--secret-file") {
      // What follows the = may be the secret itself (Earthly's --secret NAME=value): never repeated.
      problems.push({ where: "--earthly-flag", severity: "error" as const, message: `${name} is set by canvos (use canvos --secret NAME: the value then travels in the environment, not on a command line)` });
    }
    else if (RESERVED_FLAGS.includes(name)) {
      const instead =
        name === "--push"
          ? " (use canvos --push)"
          : name === "--no-cache"
            ? " (use canvos --no-cache)"
            : name === "--secret-file-path" || name === "--env-file-path"
              ? " (secrets go by name: --secret NAME; Earthly settings: the environment)"
              : " (canvos passes every parameter itself; set it in the arg file or with --KEY=value)";
      problems.push({ where: "--earthly-flag", severity: "error" as const, message: `${name} is set by canvos${instead}` });
    }
  }
  if (problems.length > 0) throw new ConfigError("invalid Earthly pass-through flags", problems);
}

export function globalFlags(options: GlobalFlagOptions): string[] {
  // The reference Earthfile's ISO step runs privileged; Earthly refuses that without -P (exit 9).
  const flags = ["--allow-privileged", `--arg-file-path=${ARG_FILE}`, `--secret-file-path=${SECRET_FILE}`, `--env-file-path=${ENV_FILE}`];
  if (options.push) flags.push("--push");
  if (options.noCache) flags.push("--no-cache");
  flags.push(...options.extra);
  return flags;
}

/** KEY → value for Earthly: the catalogue, then the Earthfile's own extra ARGs, then the additions. */
export function buildArgs(resolved: ResolvedConfig, additions: Readonly<Record<string, string>> = {}): Record<string, string> {
  const args: Record<string, string> = {};
  const config = resolved.config as unknown as Record<string, string | boolean>;
  for (const spec of PARAMETERS) {
    const value = config[spec.name];
    args[spec.name] = typeof value === "boolean" ? String(value) : (value ?? "");
  }
  for (const [key, value] of Object.entries(resolved.extra)) args[key] = value;
  for (const [key, value] of Object.entries(additions)) args[key] = value;
  return args;
}

/** Keys whose whole value is secret beyond what their names say (ResolvedConfig.secretKeys). */
export type SecretKeys = ReadonlySet<string> | undefined;

/** A value with a secret part (a proxy password, a token) is one no argv may carry. */
export function isSensitive(key: string, value: string, secretKeys?: SecretKeys): boolean {
  const part = secretPart(key, value, secretKeys);
  return part !== undefined && part.end > part.start;
}

/** Global flags, the target, then every build arg that may be seen as `--KEY=value`. */
export function earthlyArgs(flags: readonly string[], target: string, args: Readonly<Record<string, string>>, secretKeys?: SecretKeys): string[] {
  return [...flags, target, ...Object.entries(args).filter(([key, value]) => !isSensitive(key, value, secretKeys)).map(([key, value]) => `--${key}=${value}`)];
}

/** The content of ARG_FILE: the sensitive build args, quoted so Earthly's godotenv reads them back exactly. */
export function argFileText(args: Readonly<Record<string, string>>, secretKeys?: SecretKeys): string {
  const lines = Object.entries(args)
    .filter(([key, value]) => isSensitive(key, value, secretKeys))
    .map(([key, value]) => `${key}=${godotenvQuote(value)}`);
  return lines.length > 0 ? lines.join("\n") + "\n" : "";
}

export function maskArgs(args: Readonly<Record<string, string>>, secretKeys?: SecretKeys): Record<string, string> {
  return Object.fromEntries(Object.entries(args).map(([key, value]) => [key, maskValue(key, value, secretKeys)]));
}

/** The argv as it may be shown: `--KEY=value` build args masked; flags as they are. */
export function maskArgv(argv: readonly string[], secretKeys?: SecretKeys): string[] {
  return argv.map((arg) => {
    const m = /^--([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(arg);
    return m ? `--${m[1]}=${maskValue(m[1] ?? "", m[2] ?? "", secretKeys)}` : arg;
  });
}
