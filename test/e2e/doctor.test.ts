// canvos doctor against the real Docker daemon of this machine (which refuses privileged
// containers: a real failure doctor must report with Docker's own words).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { canvos, workspace } from "../support/cli.js";
import { dockerAvailable, requireService } from "../support/services.js";
import { execFileSync } from "node:child_process";

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

function privilegedAllowed(): boolean {
  try {
    execFileSync("docker", ["run", "--rm", "--privileged", "--network", "none", "canvos-doctor-probe:1", "/true"], { stdio: "ignore", timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

const docker = requireService("docker", dockerAvailable(), "start dockerd (see .ci/run)");

describe.skipIf(!docker)("canvos doctor on this machine's Docker", () => {
  it("daemon ok; the privileged check reports Docker's actual error; exit 3", async () => {
    const cwd = workspace();
    writeFileSync(join(cwd, ".arg"), "ARCH=amd64\nCUSTOM_TAG=doc\n");
    const r = await canvos(["doctor"], { cwd });
    noStack(r.stderr);
    expect(r.stdout).toMatch(/^  ok +Docker daemon +reachable \(server .+\)$/m);
    expect(r.stdout).toMatch(/^  ok +configuration +valid/m);
    expect(r.stdout).toMatch(/^  ok +free disk \(workspace\) +[\d.]+ GiB free in /m);
    // Run after the probe image exists (doctor made it): does this daemon allow privileged containers?
    if (privilegedAllowed()) {
      expect(r.stdout).toMatch(/^  ok +privileged containers +allowed$/m);
    } else {
      const line = r.stdout.split("\n").find((l) => l.includes("privileged containers")) ?? "";
      expect(line).toMatch(/^  failure +privileged containers +refused: .*Error response from daemon/);
      // This machine's Docker says why; doctor passes it on rather than hiding it.
      if (/unable to apply caps/.test(execOut())) expect(line).toContain("unable to apply caps: operation not permitted");
      expect(r.stdout).toContain("fix: Earthly's BuildKit needs privileged containers");
      expect(r.exitCode).toBe(3);
      expect(r.stderr).toContain("canvos: doctor: 1 check failed (privileged containers)");
      expect(r.stdout).toMatch(/^Not ready to build: 1 failure/m);
    }
  }, 120_000);

  it("--json: one object, every check with id, status, detail", async () => {
    const cwd = workspace();
    const r = await canvos(["doctor", "--json", "--runner", "docker", "--earthly-image", "example.invalid/earthly:none"], { cwd });
    const data = JSON.parse(r.stdout) as { ok: boolean; runner: string; checks: Array<{ id: string; status: string; detail: string; fix?: string }> };
    expect(data.runner).toBe("docker");
    expect(data.checks.map((c) => c.id)).toEqual(["workspace", "config", "docker", "earthly", "earthly-image", "privileged", "disk-docker", "disk-workspace", "binfmt", "boot"]);
    expect(data.checks.find((c) => c.id === "earthly-image")).toMatchObject({ status: "warning", fix: expect.stringContaining("docker pull example.invalid/earthly:none") });
    expect(r.exitCode).toBe(data.ok ? 0 : 3);
  }, 120_000);
});

function execOut(): string {
  try {
    execFileSync("docker", ["run", "--rm", "--privileged", "--network", "none", "canvos-doctor-probe:1", "/true"], { stdio: "pipe", timeout: 60_000 });
    return "";
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? "");
  }
}

describe("canvos doctor without Docker", () => {
  it("PATH without docker: a failure with the fix, exit 3", async () => {
    const cwd = workspace();
    const emptyBin = mkdtempSync(join(tmpdir(), "canvos-nobin-"));
    onTestFinished(() => rmSync(emptyBin, { recursive: true, force: true }));
    const r = await canvos(["doctor"], { cwd, env: { PATH: emptyBin } });
    expect(r.exitCode).toBe(3);
    noStack(r.stderr);
    expect(r.stdout).toMatch(/^  failure +Docker +the docker command is not on PATH$/m);
    expect(r.stdout).toMatch(/fix: install Docker Engine/);
    expect(r.stdout).toMatch(/^  failure +Earthly +neither a local Earthly nor a usable Docker/m);
    expect(r.stderr).toContain("canvos: doctor: 2 checks failed (Docker, Earthly)");
  });

  it("--runner native with the stand-in Earthly on PATH reports its version", async () => {
    const cwd = workspace();
    const r = await canvos(["doctor", "--runner", "native", "--json"], { cwd, env: { PATH: `${join(process.cwd(), "test", "bin")}:${process.env["PATH"] ?? ""}` } });
    const data = JSON.parse(r.stdout) as { checks: Array<{ id: string; status: string; detail: string }> };
    expect(data.checks.find((c) => c.id === "earthly")).toMatchObject({ status: "ok", detail: expect.stringMatching(/^Earthly v0\.8\.15 at .*test\/bin\/earthly/) });
  });

  it("rejects an unknown --runner with a clear message", async () => {
    const r = await canvos(["doctor", "--runner", "podman"], { cwd: workspace() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("--runner podman is not one of auto, native, docker");
  });
});
