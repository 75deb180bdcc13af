// validate, doctor, the plan and the build agree on one configuration (issue 12), and the
// reference's own inputs (its .arg.template, its documented FIPS command) work as it documents.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { canvos } from "../support/cli.js";
import { buildDefinitionCopy } from "../support/workspace-copy.js";

/** The reference's .arg.template as a migrating CanvOS user has it: k3s, and a spc.tgz they never made. */
const REFERENCE_ARG = [
  "CUSTOM_TAG=demo",
  "IMAGE_REGISTRY=ttl.sh",
  "OS_DISTRIBUTION=ubuntu",
  "IMAGE_REPO=$OS_DISTRIBUTION",
  "OS_VERSION=22",
  "K8S_DISTRIBUTION=k3s",
  "ISO_NAME=palette-edge-installer",
  "ARCH=amd64",
  "CLUSTERCONFIG=spc.tgz",
  "",
].join("\n");
const FIPS_FLAGS = ["--BASE_IMAGE=gcr.io/spectro-dev-public/ubuntu-focal-fips:v4.2_20231226", "--FIPS_ENABLED=true", "--ARCH=amd64", "--PE_VERSION=v4.2.3"];

function referenceWorkspace(arg = REFERENCE_ARG): string {
  const dir = buildDefinitionCopy({ ".arg": arg }, "canvos-truth-");
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Parameter {
  name: string;
  value: string;
  from: string;
  invalid?: true;
  problem?: string;
}

describe("the reference's documented FIPS command", () => {
  it("canvos iso with the seed's FIPS flags and the template's K8S_DISTRIBUTION=k3s plans the ISO", async () => {
    const cwd = referenceWorkspace();
    const r = await canvos(["iso", ...FIPS_FLAGS, "--dry-run", "--json"], { cwd });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const plan = JSON.parse(String(r.stdout)) as { buildArgs: Record<string, string>; images: string[] };
    expect(plan.buildArgs["FIPS_ENABLED"]).toBe("true");
    expect(plan.images).toEqual(["palette-installer-image:v4.2.3-demo"]);
    const base = await canvos(["base", ...FIPS_FLAGS, "--dry-run"], { cwd });
    expect(base.exitCode, String(base.stderr)).toBe(0);
  });

  it("a provider build refuses it, at the arg-file line that sets k3s; validate says which builds it stops", async () => {
    const cwd = referenceWorkspace();
    const r = await canvos(["provider", ...FIPS_FLAGS, "--dry-run"], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(".arg:6: error: K8S_DISTRIBUTION: k3s has no FIPS build: use K8S_DISTRIBUTION=rke2 or kubeadm-fips\n");
    const v = await canvos(["validate", ...FIPS_FLAGS], { cwd });
    expect(v.exitCode).toBe(2);
    expect(v.stderr).toContain(".arg:6: error: K8S_DISTRIBUTION: k3s has no FIPS build: use K8S_DISTRIBUTION=rke2 or kubeadm-fips; this stops the provider-image builds (build-all, provider), not iso or base");
  });

  it("a rule whose own value is a default is reported at the arg-file line of the value that broke it", async () => {
    const cwd = referenceWorkspace("CUSTOM_TAG=demo\nOS_DISTRIBUTION=opensuse-leap\n");
    const r = await canvos(["iso", "--dry-run"], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^\.arg:2: error: OS_VERSION: "22" is not a version of opensuse-leap/m);
  });
});

describe("one rule for K8S_VERSION and --k8s-version", () => {
  const advice = 'to build it, add it to k8s_version.json as {"standard": {"k3s": [..., "1.30.1"]}}';

  it("a version outside the matrix is an error either way, saying how to add it", async () => {
    const cwd = referenceWorkspace();
    const flag = await canvos(["provider", "--k8s-version", "1.30.1", "--dry-run"], { cwd });
    expect(flag.exitCode).toBe(2);
    expect(flag.stderr).toMatch(/^--k8s-version: error: "1\.30\.1" is not in the k3s matrix: /m);
    expect(flag.stderr).toContain(advice);
    // A real build says it before looking for Earthly or Docker (none is on this PATH: that would be exit 3).
    const real = await canvos(["provider", "--k8s-version", "1.30.1"], { cwd, env: { PATH: "/nonexistent" } });
    expect(real.exitCode, String(real.stderr)).toBe(2);
    expect(real.stderr).toContain(advice);
    writeFileSync(join(cwd, ".arg"), REFERENCE_ARG + "K8S_VERSION=1.30.1\n");
    const arg = await canvos(["provider", "--dry-run"], { cwd });
    expect(arg.exitCode).toBe(2);
    expect(arg.stderr).toMatch(/^\.arg:10: error: K8S_VERSION: "1\.30\.1" is not in the k3s matrix: /m);
    expect(arg.stderr).toContain(advice);
  });

  it("once added to the workspace's k8s_version.json (what the Earthfile reads), both build it", async () => {
    const cwd = referenceWorkspace();
    const file = join(cwd, "k8s_version.json");
    const matrix = JSON.parse(readFileSync(file, "utf8")) as { standard: Record<string, string[]> };
    matrix.standard["k3s"]?.push("1.30.1");
    writeFileSync(file, JSON.stringify(matrix));
    const r = await canvos(["provider", "--k8s-version", "1.30.1", "--dry-run", "--json"], { cwd });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect((JSON.parse(String(r.stdout)) as { k8sVersions: string[] }).k8sVersions).toEqual(["1.30.1"]);
    const versions = await canvos(["versions", "--json"], { cwd });
    expect((JSON.parse(String(versions.stdout)) as { standard: Record<string, string[]> }).standard["k3s"]).toContain("1.30.1");
  });

  it("a k8s_version.json that is not the matrix is a clear error", async () => {
    const cwd = referenceWorkspace();
    writeFileSync(join(cwd, "k8s_version.json"), '{"k3s": ["1.27.2"]}');
    const r = await canvos(["provider", "--dry-run"], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('k8s_version.json: error: does not hold a version matrix; it must look like {"standard": {"k3s": ["1.27.2", ...]');
  });
});

describe("validate shows every value, the wrong ones marked", () => {
  it("text and --json list all parameters when one is wrong", async () => {
    const cwd = referenceWorkspace(REFERENCE_ARG.replace("ARCH=amd64", "ARCH=x86"));
    const text = await canvos(["validate"], { cwd });
    expect(text.exitCode).toBe(2);
    expect(text.stdout).toMatch(/^  ARCH +x86 +\.arg:8 +invalid: "x86" is not one of amd64, arm64$/m);
    expect(text.stdout).toMatch(/^  CUSTOM_TAG +demo +\.arg:1$/m);
    const json = await canvos(["validate", "--json"], { cwd });
    expect(json.exitCode).toBe(2);
    const data = JSON.parse(String(json.stdout)) as { valid: boolean; parameters: Parameter[]; files: unknown[] };
    expect(data.valid).toBe(false);
    expect(data.parameters.length).toBeGreaterThan(30);
    expect(data.parameters.find((p) => p.name === "ARCH")).toEqual({ name: "ARCH", value: "x86", source: "file", from: ".arg:8", invalid: true, problem: '"x86" is not one of amd64, arm64' });
    expect(data.parameters.find((p) => p.name === "IMAGE_REPO")).toEqual({ name: "IMAGE_REPO", value: "ubuntu", source: "file", from: ".arg:4" });
    expect(data.files.length).toBeGreaterThan(0);
  });
});

describe("doctor runs validate's checks", () => {
  it("user-data still holding the template's placeholders fails doctor's configuration check too", async () => {
    const cwd = referenceWorkspace("CUSTOM_TAG=demo\n");
    writeFileSync(join(cwd, "user-data"), "#cloud-config\nstylus:\n  site:\n    edgeHostToken: xxxxxxxxxxxxxxxx\n");
    const v = await canvos(["validate"], { cwd });
    expect(v.exitCode).toBe(2);
    const d = await canvos(["doctor", "--json"], { cwd });
    const config = (JSON.parse(String(d.stdout)) as { checks: Array<{ id: string; status: string; detail: string }> }).checks.find((c) => c.id === "config");
    expect(config?.status).toBe("failure");
    expect(config?.detail).toContain("user-data:4: stylus.site.edgeHostToken still holds a template placeholder");
    expect(d.exitCode).toBe(3);
  }, 120_000);
});

describe("--push where there is nothing to push", () => {
  it("iso and base refuse it (exit 2) and say what pushes; with --remote-cache it writes the cache", async () => {
    const cwd = referenceWorkspace("CUSTOM_TAG=demo\n");
    for (const command of ["iso", "base"]) {
      const r = await canvos([command, "--push", "--dry-run"], { cwd });
      expect(r.exitCode, command).toBe(2);
      expect(r.stderr, command).toContain(`--push: error: ${command} builds no image to push`);
      expect(r.stderr, command).toContain("hint: provider images are pushed by canvos provider --push or canvos build-all --push");
    }
    const cache = await canvos(["iso", "--push", "--remote-cache", "registry.example.com/cache:iso", "--dry-run", "--json"], { cwd });
    expect(cache.exitCode, String(cache.stderr)).toBe(0);
    expect((JSON.parse(String(cache.stdout)) as { argv: string[] }).argv).toContain("--push");
  });
});

describe("help toward what the user meant", () => {
  it("an Earthly target and -v", async () => {
    const cwd = referenceWorkspace("CUSTOM_TAG=demo\n");
    const target = await canvos(["+build-all-images"], { cwd });
    expect(target.exitCode).toBe(2);
    expect(target.stderr).toContain("hint: canvos chooses the Earthly target itself: did you mean canvos build-all?");
    const inside = await canvos(["iso", "+iso", "--dry-run"], { cwd });
    expect(inside.stderr).toContain("+iso: error: canvos chooses the Earthly target itself: did you mean canvos iso?");
    const v = await canvos(["-v"], { cwd });
    expect(v.exitCode).toBe(2);
    expect(v.stderr).toContain("hint: did you mean --version (or -V), or --verbose (build commands)?");
    const buildkit = await canvos(["iso", "--buildkit-image", "registry.example.com/buildkitd:v0.8.5", "--dry-run"], { cwd });
    expect(buildkit.exitCode, String(buildkit.stderr)).toBe(0);
  });
});

describe("proxies in .arg behave as in the environment", () => {
  async function proxyValues(cwd: string, env: Record<string, string> = {}): Promise<Parameter[]> {
    const r = await canvos(["validate", "--json"], { cwd, env });
    expect(r.exitCode, String(r.stdout)).toBe(0);
    return (JSON.parse(String(r.stdout)) as { parameters: Parameter[] }).parameters.filter((p) => /proxy/i.test(p.name));
  }

  it("lowercase names and a URL without a scheme: the same HTTP_PROXY whichever way it is given", async () => {
    const cwd = referenceWorkspace("CUSTOM_TAG=demo\n");
    const fromEnv = await proxyValues(cwd, { http_proxy: "proxy.example.com:3128", no_proxy: "localhost" });
    writeFileSync(join(cwd, ".arg"), "CUSTOM_TAG=demo\nhttp_proxy=proxy.example.com:3128\nno_proxy=localhost\n");
    const fromArg = await proxyValues(cwd);
    for (const values of [fromEnv, fromArg]) {
      expect(values.find((p) => p.name === "HTTP_PROXY")?.value).toBe("http://proxy.example.com:3128");
      expect(values.find((p) => p.name === "NO_PROXY")?.value).toBe("localhost");
      // Not passed on as an extra Earthfile ARG beside HTTP_PROXY.
      expect(values.some((p) => p.name === "http_proxy")).toBe(false);
    }
    expect(fromArg.find((p) => p.name === "HTTP_PROXY")?.from).toBe(".arg:2");
  });

  it("a password in a lowercase http_proxy is masked like one in HTTP_PROXY; HTTP_PROXY wins over it", async () => {
    const cwd = referenceWorkspace("http_proxy=http://bob:hunter2@proxy:3128\nHTTP_PROXY=http://proxy2:3128\n");
    const r = await canvos(["validate", "--json"], { cwd });
    expect(r.stdout + r.stderr).not.toContain("hunter2");
    const data = JSON.parse(String(r.stdout)) as { parameters: Parameter[]; problems: Array<{ where: string; message: string }> };
    expect(data.parameters.find((p) => p.name === "HTTP_PROXY")).toMatchObject({ value: "http://proxy2:3128", from: ".arg:2" });
    expect(data.problems).toContainEqual(expect.objectContaining({ where: ".arg:1", message: "http_proxy is ignored: HTTP_PROXY (line 2) is set, and wins, as in the environment" }));
    const plan = await canvos(["iso", "--dry-run"], { cwd });
    expect(plan.stdout + plan.stderr).not.toContain("hunter2");
  });
});
