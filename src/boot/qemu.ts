// Boots an ISO headless in QEMU with UEFI firmware (OVMF for amd64, AAVMF for arm64), reading
// the serial console: it passes when the Linux kernel's boot banner appears. KVM is asked for
// only where /dev/kvm exists, and QEMU itself falls back to software emulation (TCG) when KVM
// cannot start there (a /dev/kvm on a CPU or VM that cannot run it).
import { accessSync, constants, copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EnvironmentError } from "../errors.js";
import { streamTool } from "../earthly/runner.js";
import { bootArgs, MACHINES, type Machine } from "./machines.js";

export const DEFAULT_BOOT_TIMEOUT_SECONDS = 300;
const BANNER = /Linux version \d+\.\d+\S*/;
const KEEP_LINES = 20;


export interface BootResult {
  booted: boolean;
  /** The banner line, when it came. */
  banner: string | undefined;
  seconds: number;
  /** The console's last lines, for a failure. */
  lastLines: string[];
  accelerator: "kvm" | "tcg";
}

function onPath(file: string, env: NodeJS.ProcessEnv): boolean {
  for (const dir of (env["PATH"] ?? "").split(":")) {
    if (dir === "") continue;
    try {
      accessSync(join(dir, file), constants.X_OK);
      return true;
    } catch {
      // Not in this one.
    }
  }
  return false;
}

/** What booting needs that this machine lacks, with the Debian/Ubuntu packages that bring it. */
export function bootPrerequisites(arch: string, env: NodeJS.ProcessEnv): { missing: string[]; packages: string } {
  const machine = MACHINES[arch];
  if (machine === undefined) return { missing: [`a QEMU machine for ${arch}`], packages: "" };
  const missing: string[] = [];
  if (!onPath(machine.qemu, env)) missing.push(machine.qemu);
  for (const file of [machine.code, machine.vars]) if (!existsSync(file)) missing.push(file);
  return { missing, packages: machine.packages };
}

const KVM_PROBE_MS = 4000;
let kvmProbe: Promise<boolean> | undefined;

/**
 * KVM that runs, not only a /dev/kvm that opens: nested or emulated CPUs hand out a /dev/kvm on
 * which the firmware's first instructions stop with "KVM internal error", and QEMU then hangs
 * silently. The probe starts the firmware under KVM: it works when the firmware writes to its
 * serial console within a few seconds (under KVM it does in well under one).
 */
export function kvmWorks(machine: Machine, env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
  } catch {
    return Promise.resolve(false);
  }
  kvmProbe ??= (async () => {
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), KVM_PROBE_MS);
    const vars = mkdtempSync(join(tmpdir(), "canvos-kvm-"));
    let spoke = false;
    try {
      copyFileSync(machine.vars, join(vars, "vars.fd"));
      const args = ["-accel", "kvm", ...machine.args("/dev/null", join(vars, "vars.fd")).filter((a, i, all) => a !== "-cdrom" && all[i - 1] !== "-cdrom"), "-display", "none", "-serial", "stdio", "-monitor", "none", "-nic", "none"];
      const probe = await streamTool(machine.qemu, args, { env, cancelSignal: stop.signal });
      probe.stdout.on("data", () => {
        spoke = true;
        stop.abort();
      });
      await probe.result;
      return spoke;
    } finally {
      clearTimeout(timer);
      rmSync(vars, { recursive: true, force: true });
    }
  })();
  return kvmProbe;
}

/**
 * Firmware paints the console with escape sequences: they go, with every other control
 * character, so that nothing of the guest's reaches the user's terminal.
 */
function consoleText(raw: string): string {
  return raw.replace(/\u001b(?:\[[0-9;?=]*[ -/]*[@-~]|[()][0-9A-Za-z]|.)/g, "").replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "").trim();
}

export async function bootIso(iso: string, options: { arch: string; timeoutSeconds: number; env: NodeJS.ProcessEnv; signal?: AbortSignal | undefined }): Promise<BootResult> {
  const machine = MACHINES[options.arch];
  const needs = bootPrerequisites(options.arch, options.env);
  if (machine === undefined || needs.missing.length > 0) {
    throw new EnvironmentError(`cannot boot the ISO: ${needs.missing.join(", ")} not found`, `install QEMU and the UEFI firmware: apt-get install ${needs.packages}`);
  }
  const work = mkdtempSync(join(tmpdir(), "canvos-boot-"));
  // The firmware writes its variables: a copy of its own, never the system's.
  const vars = join(work, "vars.fd");
  copyFileSync(machine.vars, vars);
  const native = (options.arch === "amd64" && process.arch === "x64") || (options.arch === "arm64" && process.arch === "arm64");
  const kvm = native && (await kvmWorks(machine, options.env));
  const args = bootArgs(machine, iso, vars, kvm ? "kvm" : "tcg");
  const stop = new AbortController();
  const onOuter = (): void => stop.abort();
  options.signal?.addEventListener("abort", onOuter, { once: true });
  const timer = setTimeout(() => stop.abort(), options.timeoutSeconds * 1000);
  const started = Date.now();
  const lines: string[] = [];
  let banner: string | undefined;
  try {
    const child = await streamTool(machine.qemu, args, { env: options.env, cancelSignal: stop.signal });
    let partial = "";
    child.stdout.on("data", (chunk: Buffer) => {
      if (banner !== undefined) return;
      partial += chunk.toString("latin1");
      const parts = partial.split(/\r?\n|\r/);
      partial = (parts.pop() ?? "").slice(-4096);
      for (const raw of parts) {
        const line = consoleText(raw);
        if (line === "") continue;
        lines.push(line);
        if (lines.length > KEEP_LINES) lines.shift();
        const m = BANNER.exec(line);
        if (m) {
          banner = line;
          // Proven: QEMU goes now, whatever the kernel would do next.
          stop.abort();
        }
      }
    });
    const result = await child.result;
    if (consoleText(partial) !== "") lines.push(consoleText(partial));
    if (banner === undefined && !stop.signal.aborted && result.exitCode !== 0) {
      lines.push(...result.stderr.split("\n").filter((l) => l.trim() !== "").slice(-5).map((l) => `qemu: ${l}`));
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onOuter);
    rmSync(work, { recursive: true, force: true });
  }
  return { booted: banner !== undefined, banner, seconds: (Date.now() - started) / 1000, lastLines: lines.slice(-KEEP_LINES), accelerator: kvm ? "kvm" : "tcg" };
}
