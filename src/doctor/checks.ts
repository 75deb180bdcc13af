// What `canvos doctor` checks, as data: each check says ok, warning or failure, what it saw and
// the fix. Nothing here prints; src/doctor/render.ts does.
import { readFile, statfs } from "node:fs/promises";
import { join } from "node:path";
import { earthfileExtras } from "../config/earthfile-args.js";
import { validateWorkspace } from "../config/validate.js";
import type { ResolveOptions } from "../config/types.js";
import { defaultEarthlyImage, dockerMessage } from "../earthly/docker-runner.js";
import type { RunnerChoice } from "../earthly/runner-choice.js";
import { dockerEngine, engineOfBinary, engineOfVersion, ENGINE_NAMES, type Engine } from "../earthly/engine.js";
import type { EngineChoice } from "../earthly/runner-choice.js";
import { locateEarthly } from "../earthly/locate.js";
import { runTool, type ToolOptions, type ToolResult } from "../earthly/runner.js";
import type { Flavour } from "../vendor/flavours.js";
import { exitZeroElf, PROBE_COMMAND, PROBE_IMAGE, singleFileTar } from "./probe-image.js";

export type CheckStatus = "ok" | "warning" | "failure";

export interface DoctorCheck {
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
  /** The simplest fix, when the check is not ok. */
  fix?: string;
}

export interface DoctorReport {
  checks: DoctorCheck[];
  ok: boolean;
  failures: number;
  warnings: number;
  /** The runner a build would use with these settings. */
  runner: "native" | "docker" | undefined;
}

export interface DoctorOptions {
  request: ResolveOptions;
  runner: RunnerChoice;
  earthlyBin?: string | undefined;
  earthlyImage?: string | undefined;
  engine?: EngineChoice | undefined;
  /** Vendor base flavours to check for (doctor --vendor-base), beside those whose variables are set. */
  vendorBase?: readonly Flavour[] | undefined;
  /** Where the workspace was looked for and what was found (src/workspace/find.ts); reported first when given. */
  workspace?: { root: string } | { missing: { message: string; hint: string } } | undefined;
}

/** What doctor touches outside itself, replaceable in tests. */
export interface DoctorDeps {
  runTool(file: string, args: readonly string[], options: ToolOptions): Promise<ToolResult>;
  freeBytes(path: string): Promise<number>;
  binfmtDir: string;
  hostArch: string;
  /** Where the host's /etc is read from (is it a registered SLE Micro?); default /. */
  hostRoot?: string;
}

const GiB = 1024 ** 3;
/** An ISO build pulls several GB of images and writes the ISO twice; below these it fails midway. */
export const DISK_LIMITS = {
  docker: { fail: 10 * GiB, warn: 25 * GiB },
  workspace: { fail: 2 * GiB, warn: 5 * GiB },
} as const;

const defaultDeps: DoctorDeps = {
  runTool,
  async freeBytes(path) {
    const s = await statfs(path);
    return s.bavail * s.bsize;
  },
  binfmtDir: "/proc/sys/fs/binfmt_misc",
  hostArch: process.arch === "x64" ? "amd64" : process.arch,
};

const DOCKER_INSTALL = "install Docker Engine (https://docs.docker.com/engine/install/) and make sure `docker` is on PATH";
const gib = (bytes: number): string => `${(bytes / GiB).toFixed(1)} GiB`;

export function parseEarthlyVersion(line: string): [number, number, number] | undefined {
  const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(line);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export async function runDoctor(options: DoctorOptions, deps: DoctorDeps = defaultDeps): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const { env, cwd } = options.request;
  const tool = (file: string, args: readonly string[], extra: Partial<ToolOptions> = {}) => deps.runTool(file, args, { env, cwd, timeoutMs: 60_000, ...extra });

  if (options.workspace !== undefined) {
    checks.push(
      "root" in options.workspace
        ? { id: "workspace", title: "workspace", status: "ok", detail: options.workspace.root }
        : { id: "workspace", title: "workspace", status: "failure", detail: options.workspace.missing.message, fix: options.workspace.missing.hint },
    );
  }

  // The configuration first, checked exactly as `canvos validate` checks it (the files it names
  // included), so the two never disagree; ARCH and SPECTRO_PUB_REPO shape the checks after it.
  const { validation, partial: config } = await validateWorkspace(options.request, await earthfileExtras(cwd));
  const configErrors = validation.problems.filter((p) => p.severity === "error");
  const configWarnings = validation.problems.filter((p) => p.severity === "warning");
  const listed = (problems: typeof configErrors) => problems.slice(0, 3).map((p) => `${p.where}: ${p.message}`).join("; ") + (problems.length > 3 ? "; …" : "");
  if (configErrors.length > 0) {
    checks.push({ id: "config", title: "configuration", status: "failure", detail: `${configErrors.length} problem(s): ${listed(configErrors)}`, fix: "run canvos validate and fix what it lists" });
  } else {
    checks.push({
      id: "config",
      title: "configuration",
      status: configWarnings.length > 0 ? "warning" : "ok",
      detail: `valid (${validation.argFile ?? "built-in defaults"})${configWarnings.length > 0 ? `; ${listed(configWarnings)}` : ""}`,
      ...(configWarnings.length > 0 ? { fix: "run canvos validate for details" } : {}),
    });
  }

  // Earthly on this machine.
  let earthly: LocalEarthly | undefined;
  let earthlyProblem: string | undefined;
  if (options.runner !== "docker") {
    try {
      const located = locateEarthly({ flag: options.earthlyBin, env, cwd });
      const result = await tool(located.path, ["--version"], { timeoutMs: 20_000 });
      const line = result.stdout.split(/\r?\n/).find((l) => l.trim() !== "")?.trim() ?? "";
      const version = result.exitCode === 0 ? parseEarthlyVersion(line) : undefined;
      // The version line names the engine surely; the binary's name is the fallback.
      const engine = options.engine !== undefined && options.engine !== "auto" ? options.engine : (engineOfVersion(line) ?? engineOfBinary(located.path));
      earthly = { path: located.path, engine, ...(version ? { version, line } : {}) };
    } catch (error) {
      earthlyProblem = error instanceof Error ? error.message : String(error);
    }
  }

  // Docker: the CLI, then the daemon.
  const info = await tool("docker", ["info", "--format", "{{.ServerVersion}}\t{{.DockerRootDir}}\t{{.Architecture}}"], { timeoutMs: 30_000 });
  let daemon: { version: string; root: string; arch: string } | undefined;
  if (info.notFound) {
    checks.push({ id: "docker", title: "Docker", status: "failure", detail: "the docker command is not on PATH", fix: DOCKER_INSTALL });
  } else if (info.exitCode !== 0) {
    const message = dockerMessage(info);
    const fix = /permission denied/i.test(message)
      ? "let your user use Docker: sudo usermod -aG docker $USER, then log in again (or run canvos with sudo)"
      : "start the Docker daemon (sudo systemctl start docker) or point DOCKER_HOST at a running one";
    checks.push({ id: "docker", title: "Docker daemon", status: "failure", detail: `not reachable: ${message}`, fix });
  } else {
    const [version = "", root = "", arch = ""] = info.stdout.trim().split("\t");
    daemon = { version, root, arch: arch === "x86_64" ? "amd64" : arch === "aarch64" ? "arm64" : arch };
    checks.push({ id: "docker", title: "Docker daemon", status: "ok", detail: `reachable (server ${version})` });
  }

  // Which runner a build would use, and whether it can.
  const runner = options.runner === "auto" ? (earthly ? "native" : daemon ? "docker" : undefined) : options.runner;
  checks.push(earthlyCheck(options, runner, earthly, earthlyProblem, daemon !== undefined));
  if (runner === "docker" && daemon) {
    const image = options.earthlyImage ?? defaultEarthlyImage(config.SPECTRO_PUB_REPO ?? env["SPECTRO_PUB_REPO"], dockerEngine(options.engine ?? "auto"));
    const present = await tool("docker", ["image", "inspect", "--format", "{{.Id}}", image], { timeoutMs: 30_000 });
    checks.push(
      present.exitCode === 0
        ? { id: "earthly-image", title: "Earthly image", status: "ok", detail: `${image} is here` }
        : { id: "earthly-image", title: "Earthly image", status: "warning", detail: `${image} is not here yet; the first build pulls it`, fix: `docker pull ${image} (or set --earthly-image${dockerEngine(options.engine ?? "auto") === "earthly" ? " / SPECTRO_PUB_REPO" : ""} for a mirror)` },
    );
  }

  // Privileged containers: BuildKit (Earthly's own or in its container) cannot run without them.
  if (daemon) checks.push(await privilegedCheck(tool, deps.hostArch, daemon.arch));
  else checks.push({ id: "privileged", title: "privileged containers", status: "warning", detail: "not checked: Docker is not usable" });

  // Free disk where Docker keeps images and in the workspace.
  if (daemon) checks.push(await diskCheck("disk-docker", "free disk (Docker)", daemon.root, DISK_LIMITS.docker, deps, "free space: docker system prune (canvos never deletes its helper images), or move Docker's data-root"));
  checks.push(await diskCheck("disk-workspace", "free disk (workspace)", cwd, DISK_LIMITS.workspace, deps, "free space in the workspace (old ISOs in build/) or build elsewhere"));

  // QEMU for a foreign ARCH.
  const arch = config.ARCH;
  const buildHost = daemon?.arch ?? deps.hostArch;
  if (arch !== undefined) checks.push(await binfmtCheck(arch, buildHost, deps.binfmtDir));
  if (arch !== undefined) checks.push(await bootCheck(arch, options.request.env));

  // Vendor base images, only for the flavours the user is after.
  const { vendorBaseChecks } = await import("./vendor-base.js");
  checks.push(...(await vendorBaseChecks(options.vendorBase ?? [], env, deps.hostRoot ?? "/")));

  const failures = checks.filter((c) => c.status === "failure").length;
  const warnings = checks.filter((c) => c.status === "warning").length;
  return { checks, ok: failures === 0, failures, warnings, runner };
}

function earthlyCheck(
  options: DoctorOptions,
  runner: "native" | "docker" | undefined,
  earthly: LocalEarthly | undefined,
  problem: string | undefined,
  dockerUsable: boolean,
): DoctorCheck {
  const title = "Earthly";
  const inDocker = ENGINE_NAMES[dockerEngine(options.engine ?? "auto")];
  if (options.runner === "docker") {
    return dockerUsable
      ? { id: "earthly", title, status: "ok", detail: `${inDocker.title} ${inDocker.tag} runs in its container (--runner docker)` }
      : { id: "earthly", title, status: "failure", detail: "--runner docker needs a usable Docker", fix: DOCKER_INSTALL };
  }
  if (earthly) {
    if (!earthly.version) return { id: "earthly", title, status: "failure", detail: `${earthly.path} did not tell its version (earthly --version)`, fix: "reinstall Earthly v0.8 (https://earthly.dev/get-earthly)" };
    const [major, minor] = earthly.version;
    const text = `${ENGINE_NAMES[earthly.engine].title} v${earthly.version.join(".")} at ${earthly.path}`;
    if (major === 0 && minor < 8) {
      return { id: "earthly", title, status: "failure", detail: `${text} is too old (canvos needs 0.8+)`, fix: "upgrade Earthly (https://earthly.dev/get-earthly), or use --runner docker" };
    }
    return { id: "earthly", title, status: "ok", detail: `${text}${runner === "native" ? " (runner: native)" : ""}` };
  }
  if (options.runner === "native") return { id: "earthly", title, status: "failure", detail: problem ?? "not found", fix: "install Earthly v0.8 (https://earthly.dev/get-earthly), or use --runner docker" };
  return dockerUsable
    ? { id: "earthly", title, status: "ok", detail: `not installed; canvos runs ${inDocker.title} ${inDocker.tag} in its container (runner: docker)` }
    : { id: "earthly", title, status: "failure", detail: "neither a local Earthly nor a usable Docker to run it in", fix: `${DOCKER_INSTALL}; or install Earthly v0.8 (https://earthly.dev/get-earthly)` };
}

interface LocalEarthly {
  path: string;
  engine: Engine;
  version?: [number, number, number];
  line?: string;
}

type Tool = (file: string, args: readonly string[], extra?: Partial<ToolOptions>) => Promise<ToolResult>;

async function privilegedCheck(tool: Tool, hostArch: string, daemonArch: string): Promise<DoctorCheck> {
  const title = "privileged containers";
  const have = await tool("docker", ["image", "inspect", "--format", "{{.Id}}", PROBE_IMAGE], { timeoutMs: 30_000 });
  if (have.exitCode !== 0) {
    const program = exitZeroElf(daemonArch || hostArch);
    if (!program) return { id: "privileged", title, status: "warning", detail: `not checked: no probe program for ${daemonArch}` };
    // Kept afterwards (a few hundred bytes), like every helper image canvos uses.
    const made = await tool("docker", ["import", "--change", `CMD ["${PROBE_COMMAND}"]`, "-", PROBE_IMAGE], { input: singleFileTar(PROBE_COMMAND.slice(1), program), timeoutMs: 60_000 });
    if (made.exitCode !== 0) return { id: "privileged", title, status: "warning", detail: `not checked: docker import of the probe image failed: ${dockerMessage(made)}` };
  }
  const run = await tool("docker", ["run", "--rm", "--privileged", "--network", "none", PROBE_IMAGE, PROBE_COMMAND], { timeoutMs: 60_000 });
  if (run.exitCode === 0) return { id: "privileged", title, status: "ok", detail: "allowed" };
  return {
    id: "privileged",
    title,
    status: "failure",
    detail: `refused: ${dockerMessage(run)}`,
    fix: "Earthly's BuildKit needs privileged containers: use a machine or VM whose Docker allows --privileged (not rootless Docker or a locked-down sandbox), or a remote BuildKit (--buildkit-host)",
  };
}

async function diskCheck(id: string, title: string, path: string, limits: { fail: number; warn: number }, deps: DoctorDeps, fix: string): Promise<DoctorCheck> {
  let free: number;
  try {
    free = await deps.freeBytes(path);
  } catch (error) {
    // Docker Desktop keeps its data inside a VM, out of reach of statfs.
    return { id, title, status: "warning", detail: `cannot tell for ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` };
  }
  const where = `${gib(free)} free in ${path}`;
  if (free < limits.fail) return { id, title, status: "failure", detail: `${where}; a build needs at least ${gib(limits.fail)}`, fix };
  if (free < limits.warn) return { id, title, status: "warning", detail: `${where}; ${gib(limits.warn)} or more recommended`, fix };
  return { id, title, status: "ok", detail: where };
}

const QEMU_NAME: Readonly<Record<string, string>> = { amd64: "qemu-x86_64", arm64: "qemu-aarch64" };

async function binfmtCheck(arch: string, buildHost: string, dir: string): Promise<DoctorCheck> {
  const title = `QEMU for ${arch}`;
  if (arch === buildHost) return { id: "binfmt", title, status: "ok", detail: `not needed (ARCH ${arch} is the build host's)` };
  const name = QEMU_NAME[arch] ?? `qemu-${arch}`;
  const fix = `register QEMU for ${arch}: docker run --privileged --rm tonistiigi/binfmt --install ${arch} (or apt-get install qemu-user-static binfmt-support)`;
  try {
    const text = await readFile(join(dir, name), "utf8");
    if (text.split(/\r?\n/)[0]?.trim() === "enabled") return { id: "binfmt", title, status: "ok", detail: `${join(dir, name)} is enabled` };
    return { id: "binfmt", title, status: "failure", detail: `${join(dir, name)} is registered but disabled`, fix };
  } catch {
    return { id: "binfmt", title, status: "failure", detail: `ARCH ${arch} differs from the build host (${buildHost}) and ${join(dir, name)} does not exist: Earthly would exit 255`, fix };
  }
}

/** `--boot` needs QEMU and the UEFI firmware for ARCH; without them only that option is unusable. */
async function bootCheck(arch: string, env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  const { bootPrerequisites } = await import("../boot/qemu.js");
  const needs = bootPrerequisites(arch, env);
  const title = `QEMU boot test (${arch})`;
  if (needs.missing.length === 0) return { id: "boot", title, status: "ok", detail: "QEMU and UEFI firmware found: --boot can boot the ISO" };
  return { id: "boot", title, status: "warning", detail: `${needs.missing.join(", ")} not found: --boot cannot run`, fix: `apt-get install ${needs.packages}` };
}
