// The real services some tests use: the Docker daemon, a registry on loopback (.ci/run starts
// both and exports CANVOS_TEST_REGISTRY) and the host's tools (busybox, openssl, the ISO tools...;
// .ci/run installs them). Locally a missing service skips those tests; in CI (process.env.CI) it
// fails them, so a broken CI machine cannot pass by skipping. A test never names a tool by its
// absolute path: Debian, Fedora and Alpine put them in different places.
import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, closeSync, constants, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { request } from "node:http";
import { delimiter, join } from "node:path";
import { describe, it } from "vitest";
import { testImageLabelArgs } from "./temp.js";

export function dockerAvailable(): boolean {
  try {
    execFileSync("docker", ["info", "--format", "{{.ServerVersion}}"], { stdio: "ignore", timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

/** Where `name` runs from: PATH, then /usr/sbin and /sbin (root's tools, often missing from a user's PATH). */
export function hostTool(name: string): string | undefined {
  const dirs = [...(process.env["PATH"] ?? "").split(delimiter), "/usr/sbin", "/sbin"].filter((d) => d !== "");
  for (const dir of dirs) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // Not in this one.
    }
  }
  return undefined;
}

/** The tools of `names` that are not there (for requireService's message). */
export function missingTools(names: readonly string[]): string[] {
  return names.filter((name) => hostTool(name) === undefined);
}

/** Whether the ELF program at `path` asks for no dynamic loader (no PT_INTERP): it runs alone in an empty image. */
function isStaticElf(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    // 64-bit little-endian only: what amd64 and arm64 machines run.
    if (header.toString("latin1", 0, 4) !== "\x7fELF" || header[4] !== 2 || header[5] !== 1) return false;
    const phoff = Number(header.readBigUInt64LE(0x20));
    const size = header.readUInt16LE(0x36);
    const count = header.readUInt16LE(0x38);
    const table = Buffer.alloc(size * count);
    readSync(fd, table, 0, table.length, phoff);
    for (let i = 0; i < count; i++) if (table.readUInt32LE(i * size) === 3) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}

/**
 * A statically linked busybox (Debian's busybox-static), or undefined: copied into an image made
 * from nothing, a dynamically linked one would find no C library there.
 */
export function staticBusybox(): string | undefined {
  const path = hostTool("busybox");
  return path !== undefined && isStaticElf(path) ? path : undefined;
}

export const BUSYBOX_HOW = "install a statically linked busybox: apt-get install busybox-static (.ci/run does)";

/** The test registry's host:port: $CANVOS_TEST_REGISTRY, else 127.0.0.1:5000 as .ci/run starts it. */
export const TEST_REGISTRY = process.env["CANVOS_TEST_REGISTRY"] ?? "127.0.0.1:5000";

export async function registryAvailable(host: string = TEST_REGISTRY): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`http://${host}/v2/`, { method: "GET", timeout: 3_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 || res.statusCode === 401);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/**
 * Whether tests that need `service` may run. Missing in CI: registers a failing test saying how to
 * provide it (and the caller skips the rest); missing locally: the caller skips.
 */
export function requireService(service: string, available: boolean, how: string): boolean {
  if (!available && process.env["CI"]) {
    describe(`${service} (required in CI)`, () => {
      it(`${service} is available`, () => {
        throw new Error(`${service} is not available: ${how}`);
      });
    });
  }
  return available;
}

/** A small real image (one file, made with `docker import`), pushed to `ref` and not kept locally. */
export function pushTinyImage(ref: string): void {
  const dir = mkdtempSync(join(tmpdir(), "canvos-tiny-"));
  try {
    writeFileSync(join(dir, "hello.txt"), `canvos test image ${ref}\n`);
    execFileSync("tar", ["-cf", join(dir, "rootfs.tar"), "-C", dir, "hello.txt"]);
    execFileSync("docker", ["import", ...testImageLabelArgs("import"), join(dir, "rootfs.tar"), ref], { stdio: "ignore", timeout: 60_000 });
    execFileSync("docker", ["push", ref], { stdio: "ignore", timeout: 120_000 });
  } finally {
    // The registry has it; the local copy would outlive the test.
    spawnSync("docker", ["rmi", "--force", ref], { stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A tag no test has pushed before: registries here persist across runs. */
export function uniqueTag(prefix = "t"): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
