// The configuration flags every command shares: --arg-file, the friendly flags, and the
// earthly-style `--KEY=value` overrides users of the reference already type.
import { isAbsolute, relative, resolve, sep } from "node:path";
import { Option, type Command } from "commander";
import type { Problem } from "../errors.js";
import { didYouMean } from "../config/suggest.js";
import { targetHint } from "../plan/targets.js";
import { shortOptionHint } from "./usage-hints.js";
import type { Override, ParameterName, ResolveOptions } from "../config/types.js";
import { requireWorkspace } from "../workspace/find.js";

interface FriendlyFlag {
  flags: string;
  key: ParameterName;
  description: string;
  /** A switch rather than a value. */
  boolean?: true;
}

export const FRIENDLY_FLAGS: readonly FriendlyFlag[] = [
  { flags: "--arch <arch>", key: "ARCH", description: "ARCH: amd64 or arm64" },
  { flags: "--os <distribution>", key: "OS_DISTRIBUTION", description: "OS_DISTRIBUTION: ubuntu, opensuse-leap, rhel, sles" },
  { flags: "--os-version <version>", key: "OS_VERSION", description: "OS_VERSION, e.g. 22 or 15.5" },
  { flags: "--k8s-distribution <name>", key: "K8S_DISTRIBUTION", description: "K8S_DISTRIBUTION: k3s, rke2, kubeadm, kubeadm-fips" },
  { flags: "--registry <host>", key: "IMAGE_REGISTRY", description: "IMAGE_REGISTRY, e.g. ttl.sh or registry.example.com:5000/edge" },
  { flags: "--repo <name>", key: "IMAGE_REPO", description: "IMAGE_REPO" },
  { flags: "--tag <tag>", key: "CUSTOM_TAG", description: "CUSTOM_TAG (\"\" for none)" },
  { flags: "--iso-name <name>", key: "ISO_NAME", description: "ISO_NAME, without .iso" },
  { flags: "--base-image <ref>", key: "BASE_IMAGE", description: "BASE_IMAGE" },
  { flags: "--pe-version <version>", key: "PE_VERSION", description: "PE_VERSION (Palette Edge)" },
  { flags: "--fips", key: "FIPS_ENABLED", description: "FIPS_ENABLED=true", boolean: true },
];

const EARTHLY_STYLE = /^--([A-Za-z_][A-Za-z0-9_.]*)(?:=([\s\S]*))?$/;

function attributeName(flags: string): string {
  const long = flags.split(/[ ,]+/).find((part) => part.startsWith("--")) ?? flags;
  return long.slice(2).replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

export function addConfigOptions(cmd: Command): Command {
  cmd.addOption(new Option("--arg-file <path>", "the arg file to read, relative to the current folder (default: the workspace's .arg)"));
  for (const flag of FRIENDLY_FLAGS) cmd.addOption(new Option(flag.flags, flag.description));
  cmd.allowUnknownOption(true).allowExcessArguments(true);
  cmd.addHelpText("after", "\nAny parameter can also be set the way Earthly takes it, e.g. --ARCH=arm64 --FIPS_ENABLED=true.");
  return cmd;
}

/**
 * The request of a command that works in the workspace (src/workspace/find.ts), found from the
 * current folder upward. None is an error.
 */
export function workspaceRequest(cmd: Command, from: string = process.cwd()): ResolveOptions {
  return configRequest(cmd, requireWorkspace(from), process.env, from);
}

/**
 * Reads the shared flags from a parsed command. Flags it does not know become problems that
 * loadConfig reports with the rest. `cwd` is the workspace; `from` is where canvos was started,
 * which a relative --arg-file is taken from, as a shell user expects of a path they typed.
 */
export function configRequest(cmd: Command, cwd: string, env: NodeJS.ProcessEnv = process.env, from: string = cwd): ResolveOptions {
  const opts = cmd.opts<Record<string, unknown>>();
  const overrides: Override[] = [];
  for (const flag of FRIENDLY_FLAGS) {
    const value = opts[attributeName(flag.flags)];
    if (value === undefined) continue;
    const spelled = flag.flags.split(" ")[0] ?? flag.flags;
    overrides.push({ key: flag.key, value: flag.boolean ? "true" : String(value), flag: spelled });
  }

  const problems: Problem[] = [];
  const rest = [...cmd.args];
  const known = cmd.options.map((o) => o.long).filter((l): l is string => l !== undefined);
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i] as string;
    const match = EARTHLY_STYLE.exec(token);
    if (match && /[A-Z_]/.test(match[1] as string) && (match[1] as string) === (match[1] as string).toUpperCase()) {
      const key = match[1] as string;
      let value = match[2];
      if (value === undefined) {
        const next = rest[i + 1];
        if (next === undefined || next.startsWith("--")) {
          problems.push({ where: `--${key}`, severity: "error", message: `no value given (write --${key}=VALUE)` });
          continue;
        }
        value = next;
        i++;
      }
      overrides.push({ key, value, flag: `--${key}` });
    } else if (token.startsWith("-")) {
      const name = token.split("=")[0] as string;
      const hint = shortOptionHint(name);
      problems.push({ where: name, severity: "error", message: `unknown option${hint !== undefined ? `: ${hint}` : didYouMean(name, known)}` });
      // Its value, if it had one, is not a second problem.
      if (!token.includes("=") && rest[i + 1] !== undefined && !(rest[i + 1] as string).startsWith("-")) i++;
    } else if (token.startsWith("+")) {
      problems.push({ where: token, severity: "error", message: targetHint(token) });
    } else {
      problems.push({ where: token, severity: "error", message: "unexpected argument" });
    }
  }
  const argFile = opts["argFile"];
  return { cwd, argFile: typeof argFile === "string" ? fromWorkspace(argFile, cwd, from) : undefined, overrides, env, commandLineProblems: problems };
}

/**
 * A path typed in `from`, as the workspace sees it: relative to it when inside (what `canvos
 * matrix` repeats to jobs that run at the workspace's root), else absolute. Typed in the workspace
 * itself, the path stays as the user spelled it, for the messages that name it.
 */
function fromWorkspace(path: string, workspace: string, from: string): string {
  if (from === workspace || isAbsolute(path)) return path;
  const absolute = resolve(from, path);
  const inside = relative(workspace, absolute);
  return inside === "" || inside === ".." || inside.startsWith(`..${sep}`) || isAbsolute(inside) ? absolute : inside;
}
