// The real services some tests use: the Docker daemon and a registry on loopback (.ci/run starts
// both and exports CANVOS_TEST_REGISTRY). Locally a missing service skips those tests; in CI
// (process.env.CI) it fails them, so a broken CI machine cannot pass by skipping.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "vitest";

export function dockerAvailable(): boolean {
  try {
    execFileSync("docker", ["info", "--format", "{{.ServerVersion}}"], { stdio: "ignore", timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

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

/** A small real image (one file, made with `docker import`), tagged `ref` and pushed there. */
export function pushTinyImage(ref: string): void {
  const dir = mkdtempSync(join(tmpdir(), "canvos-tiny-"));
  try {
    writeFileSync(join(dir, "hello.txt"), `canvos test image ${ref}\n`);
    execFileSync("tar", ["-cf", join(dir, "rootfs.tar"), "-C", dir, "hello.txt"]);
    execFileSync("docker", ["import", join(dir, "rootfs.tar"), ref], { stdio: "ignore", timeout: 60_000 });
    execFileSync("docker", ["push", ref], { stdio: "ignore", timeout: 120_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A tag no test has pushed before: registries here persist across runs. */
export function uniqueTag(prefix = "t"): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
