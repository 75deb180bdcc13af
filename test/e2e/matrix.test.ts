import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { canvos, workspace, CANVOS } from "../support/cli.js";
import type { MatrixJob as Job } from "../../src/plan/matrix.js";
import { shellQuote } from "../../src/plan/plan.js";
import { versionsFor } from "../../src/config/k8s-matrix.js";

const FAKE_PATH = () => `${join(process.cwd(), "test", "bin")}:${process.env["PATH"] ?? ""}`;

describe("canvos matrix", () => {
  it("--json: one job per Kubernetes version and one for the ISO, carrying --arg-file and the overrides", async () => {
    const cwd = workspace();
    writeFileSync(join(cwd, "ci.arg"), "CUSTOM_TAG=ci\nIMAGE_REPO=edge\n");
    const r = await canvos(["matrix", "--json", "--arg-file", "ci.arg", "--registry", "registry.example.com:5000", "--k8s-version", "1.27.2,1.28.2", "--push", "--PE_VERSION=v4.4.0"], { cwd });
    expect(r.exitCode).toBe(0);
    const { include } = JSON.parse(r.stdout) as { include: Job[] };
    expect(include.map((j) => j.name)).toEqual(["provider-k3s-1.27.2-amd64", "provider-k3s-1.28.2-amd64", "iso-amd64"]);
    expect(include[0]).toEqual({
      name: "provider-k3s-1.27.2-amd64",
      kind: "provider",
      arch: "amd64",
      k8sVersion: "1.27.2",
      args: ["canvos", "provider", "--k8s-version", "1.27.2", "--push", "--arg-file", "ci.arg", "--IMAGE_REGISTRY=registry.example.com:5000", "--PE_VERSION=v4.4.0"],
      command: "canvos provider --k8s-version 1.27.2 --push --arg-file ci.arg --IMAGE_REGISTRY=registry.example.com:5000 --PE_VERSION=v4.4.0",
      image: "registry.example.com:5000/edge:k3s-1.27.2-v4.4.0-ci",
      env: [],
    });
    expect(include[2]).toMatchObject({
      kind: "iso",
      args: ["canvos", "iso", "--arg-file", "ci.arg", "--IMAGE_REGISTRY=registry.example.com:5000", "--PE_VERSION=v4.4.0"],
      artifacts: ["build/palette-edge-installer.iso", "build/palette-edge-installer.iso.sha256"],
    });
  });

  it("each job's command plans exactly the image or ISO the job says it yields", async () => {
    const cwd = workspace();
    writeFileSync(join(cwd, ".arg"), "CUSTOM_TAG=fan\nISO_NAME=site-a\n");
    const r = await canvos(["matrix", "--json", "--k8s-distribution", "rke2", "--K8S_VERSION=1.28.2"], { cwd });
    const { include } = JSON.parse(r.stdout) as { include: Job[] };
    expect(include).toHaveLength(2);
    for (const job of include) {
      const out = execFileSync(process.execPath, [CANVOS, ...job.args.slice(1), "--dry-run", "--json"], { cwd, env: { PATH: FAKE_PATH(), HOME: process.env["HOME"] }, encoding: "utf8" });
      const plan = JSON.parse(out) as { images: string[]; artifacts: string[] };
      if (job.kind === "provider") expect(plan.images).toEqual([job.image]);
      else expect(plan.artifacts).toEqual(job.artifacts);
    }
  });

  it("without --k8s-version or K8S_VERSION: the distribution's whole matrix", async () => {
    const cwd = workspace();
    const r = await canvos(["matrix", "--json", "--k8s-distribution", "kubeadm"], { cwd });
    const { include } = JSON.parse(r.stdout) as { include: Job[] };
    expect(include.filter((j) => j.kind === "provider").map((j) => j.k8sVersion)).toEqual([...versionsFor("kubeadm", false)]);
  });

  it("a proxy password stays out of the commands and the output; the job is told to take it from its environment", async () => {
    const cwd = workspace();
    const r = await canvos(["matrix", "--json", "--K8S_VERSION=1.27.2", "--HTTP_PROXY=http://bob:hunter2@proxy:3128", "--NO_PROXY=localhost,.svc"], { cwd });
    expect(r.exitCode).toBe(0);
    expect(r.stdout + r.stderr).not.toContain("hunter2");
    const { include } = JSON.parse(r.stdout) as { include: Job[] };
    expect(include[0]?.env).toEqual(["HTTP_PROXY"]);
    expect(include[0]?.args).toContain("--NO_PROXY=localhost,.svc");
    expect(r.stderr).toContain("--HTTP_PROXY: warning: not written into the jobs' commands");
  });

  it("the human listing, and invalid configuration exits 2 without a stack", async () => {
    const cwd = workspace();
    const ok = await canvos(["matrix", "--K8S_VERSION=1.27.2"], { cwd });
    expect(ok.stdout).toBe(
      [
        "provider-k3s-1.27.2-amd64",
        "  run:    canvos provider --k8s-version 1.27.2 --K8S_VERSION=1.27.2",
        "  yields: ttl.sh/ubuntu:k3s-1.27.2-v4.3.2-demo",
        "iso-amd64",
        "  run:    canvos iso --K8S_VERSION=1.27.2",
        "  yields: build/palette-edge-installer.iso",
        "  yields: build/palette-edge-installer.iso.sha256",
        "",
      ].join("\n"),
    );
    const bad = await canvos(["matrix", "--json", "--ARCH=x86"], { cwd });
    expect(bad.exitCode).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it("quotes words for a POSIX shell only when needed", () => {
    expect(shellQuote("--ARCH=amd64")).toBe("--ARCH=amd64");
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote("")).toBe("''");
    expect(shellQuote("$HOME")).toBe("'$HOME'");
  });
});

describe("canvos matrix for CI", () => {
  it("--ci and --secret are carried into every job; the secret is listed as needed from the environment", async () => {
    const cwd = workspace();
    const r = await canvos(["matrix", "--json", "--ci", "--secret", "SUBSCRIPTION_TOKEN", "--K8S_VERSION=1.27.2"], { cwd });
    expect(r.exitCode).toBe(0);
    const { include } = JSON.parse(r.stdout) as { include: Job[] };
    for (const job of include) {
      expect(job.args.slice(2, 6).filter((a) => a !== "--k8s-version" && a !== "1.27.2")).toEqual(expect.arrayContaining(["--ci"]));
      expect(job.command).toContain("--ci --secret SUBSCRIPTION_TOKEN");
      expect(job.env).toEqual(["SUBSCRIPTION_TOKEN"]);
    }
    expect(r.stderr).not.toContain("SUBSCRIPTION_TOKEN");
  });
});
