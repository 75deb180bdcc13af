import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runDoctor, parseEarthlyVersion, DISK_LIMITS, type DoctorDeps } from "../../src/doctor/checks.js";
import { renderDoctor } from "../../src/doctor/render.js";
import type { ToolResult } from "../../src/earthly/runner.js";
import { workspace } from "../support/cli.js";

/** A temp folder removed when the test ends (test/support/cli.ts). */
const tmp = (): string => workspace("canvos-doctor-");

const ok = (stdout = ""): ToolResult => ({ exitCode: 0, stdout, stderr: "", notFound: false, timedOut: false });
const fail = (stderr: string, exitCode = 1): ToolResult => ({ exitCode, stdout: "", stderr, notFound: false, timedOut: false });
const missing: ToolResult = { exitCode: undefined, stdout: "", stderr: "", notFound: true, timedOut: false };

/** A fake machine: `answers` maps "file arg0 arg1" prefixes to results. */
function deps(answers: Array<[string, ToolResult]>, extra: Partial<DoctorDeps> = {}): DoctorDeps & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async runTool(file, args) {
      const line = [file, ...args].join(" ");
      calls.push(line);
      return answers.find(([prefix]) => line.startsWith(prefix) || line.includes(prefix))?.[1] ?? missing;
    },
    freeBytes: async () => 100 * 1024 ** 3,
    binfmtDir: extra.binfmtDir ?? "/nonexistent",
    hostArch: "amd64",
    ...extra,
  };
}

const healthyDocker: Array<[string, ToolResult]> = [
  ["docker info", ok("24.0.7\t/var/lib/docker\tx86_64")],
  ["docker image inspect", ok("sha256:abc")],
  ["docker run --rm --privileged", ok()],
];

function request(cwd: string, overrides: Array<{ key: string; value: string }> = []) {
  return { cwd, overrides: overrides.map((o) => ({ ...o, flag: `--${o.key}` })), env: { PATH: "/nonexistent" } };
}

describe("doctor checks", () => {
  it("a healthy docker-runner machine passes; the privileged probe is made with docker import when missing", async () => {
    const cwd = tmp();
    writeFileSync(join(cwd, ".arg"), "ARCH=amd64\n");
    const d = deps([["docker image inspect --format {{.Id}} canvos-doctor-probe:1", fail("No such image")], ["docker import", ok("sha256:def")], ...healthyDocker]);
    const report = await runDoctor({ request: request(cwd), runner: "auto" }, d);
    expect(report.checks.map((c) => `${c.id}:${c.status}`)).toEqual(["config:ok", "docker:ok", "earthly:ok", "earthly-image:ok", "privileged:ok", "disk-docker:ok", "disk-workspace:ok", "binfmt:ok", "boot:warning"]);
    // No QEMU on this PATH: only --boot is unusable, so a warning with the packages to install.
    expect(report.checks.find((c) => c.id === "boot")).toMatchObject({ title: "QEMU boot test (amd64)", detail: "qemu-system-x86_64 not found: --boot cannot run", fix: "apt-get install qemu-system-x86 ovmf" });
    expect(report.ok).toBe(true);
    expect(report.runner).toBe("docker");
    expect(d.calls).toContain("docker import --change CMD [\"/true\"] - canvos-doctor-probe:1");
  });

  it("shows Docker's own reason when privileged containers are refused", async () => {
    const cwd = tmp();
    const d = deps([["docker run --rm --privileged", fail("docker: Error response from daemon: failed to create shim task: OCI runtime create failed: unable to apply caps: operation not permitted: unknown\n\nRun 'docker run --help' for more information", 125)], ...healthyDocker]);
    const report = await runDoctor({ request: request(cwd), runner: "auto" }, d);
    const check = report.checks.find((c) => c.id === "privileged");
    expect(check).toMatchObject({ status: "failure" });
    expect(check?.detail).toContain("unable to apply caps: operation not permitted");
    expect(check?.fix).toContain("--privileged");
    expect(report.ok).toBe(false);
  });

  it("no docker and no earthly: failures, each with a fix", async () => {
    const report = await runDoctor({ request: request(tmp()), runner: "auto" }, deps([]));
    expect(report.checks.find((c) => c.id === "docker")).toMatchObject({ status: "failure", detail: "the docker command is not on PATH" });
    expect(report.checks.find((c) => c.id === "earthly")).toMatchObject({ status: "failure" });
    expect(report.checks.find((c) => c.id === "earthly")?.fix).toContain("install Docker");
    expect(report.runner).toBeUndefined();
  });

  it("a daemon that refuses the user gets the docker-group fix", async () => {
    const report = await runDoctor({ request: request(tmp()), runner: "auto" }, deps([["docker info", fail("permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock")]]));
    const check = report.checks.find((c) => c.id === "docker");
    expect(check?.detail).toContain("permission denied");
    expect(check?.fix).toContain("usermod -aG docker");
  });

  it("a local Earthly: 0.8+ is ok, an older one fails", async () => {
    const cwd = tmp();
    const bin = join(cwd, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "earthly"), "#!/bin/sh\n", { mode: 0o755 });
    const env = { PATH: bin };
    const good = await runDoctor({ request: { ...request(cwd), env }, runner: "auto" }, deps([[join(bin, "earthly"), ok("earthly version v0.8.15 abc linux/amd64; Debian 12")], ...healthyDocker]));
    expect(good.checks.find((c) => c.id === "earthly")).toMatchObject({ status: "ok" });
    expect(good.runner).toBe("native");
    const old = await runDoctor({ request: { ...request(cwd), env }, runner: "auto" }, deps([[join(bin, "earthly"), ok("earthly version v0.7.23 abc")], ...healthyDocker]));
    expect(old.checks.find((c) => c.id === "earthly")).toMatchObject({ status: "failure" });
    expect(old.checks.find((c) => c.id === "earthly")?.detail).toContain("v0.7.23");
    expect(parseEarthlyVersion("earthly version v0.8.5 x")).toEqual([0, 8, 5]);
  });

  it("a foreign ARCH needs QEMU registered in binfmt_misc", async () => {
    const cwd = tmp();
    const binfmt = tmp();
    const noQemu = await runDoctor({ request: request(cwd, [{ key: "ARCH", value: "arm64" }, { key: "BASE_IMAGE", value: "quay.io/kairos/ubuntu:22.04-core-arm64" }]), runner: "auto" }, deps(healthyDocker, { binfmtDir: binfmt }));
    const check = noQemu.checks.find((c) => c.id === "binfmt");
    expect(check).toMatchObject({ status: "failure" });
    expect(check?.detail).toContain("qemu-aarch64");
    expect(check?.fix).toContain("tonistiigi/binfmt --install arm64");
    writeFileSync(join(binfmt, "qemu-aarch64"), "enabled\ninterpreter /usr/bin/qemu-aarch64-static\n");
    const withQemu = await runDoctor({ request: request(cwd, [{ key: "ARCH", value: "arm64" }, { key: "BASE_IMAGE", value: "quay.io/kairos/ubuntu:22.04-core-arm64" }]), runner: "auto" }, deps(healthyDocker, { binfmtDir: binfmt }));
    expect(withQemu.checks.find((c) => c.id === "binfmt")).toMatchObject({ status: "ok" });
  });

  it("little disk: a warning, then a failure", async () => {
    const low = await runDoctor({ request: request(tmp()), runner: "auto" }, deps(healthyDocker, { freeBytes: async () => DISK_LIMITS.docker.warn - 1 }));
    expect(low.checks.find((c) => c.id === "disk-docker")).toMatchObject({ status: "warning" });
    const none = await runDoctor({ request: request(tmp()), runner: "auto" }, deps(healthyDocker, { freeBytes: async () => 1024 ** 3 }));
    expect(none.checks.find((c) => c.id === "disk-docker")).toMatchObject({ status: "failure" });
    expect(none.checks.find((c) => c.id === "disk-workspace")).toMatchObject({ status: "failure" });
  });

  it("an invalid configuration is a failure that says where", async () => {
    const cwd = tmp();
    writeFileSync(join(cwd, ".arg"), "ARCH=x86\n");
    const report = await runDoctor({ request: request(cwd), runner: "auto" }, deps(healthyDocker));
    expect(report.checks[0]).toMatchObject({ id: "config", status: "failure" });
    expect(report.checks[0]?.detail).toContain(".arg:1");
    expect(renderDoctor(report)).toMatch(/^  failure  configuration +1 problem\(s\): \.arg:1: /m);
    expect(renderDoctor(report)).toContain("fix: run canvos validate");
  });
});
