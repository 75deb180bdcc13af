import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/resolve.js";
import type { Override } from "../../src/config/types.js";
import { versionsFor } from "../../src/config/k8s-matrix.js";
import { ConfigError } from "../../src/errors.js";
import { argFileText } from "../../src/earthly/args.js";
import { createPlan, planJson, renderPlan, type PlanRequest } from "../../src/plan/plan.js";
import { renderProfile, profileFields } from "../../src/plan/profile.js";
import { workspace } from "../support/cli.js";

const resolve = (values: Record<string, string> = {}) => {
  const overrides: Override[] = Object.entries(values).map(([key, value]) => ({ key, value, flag: `--${key}` }));
  return loadConfig({ cwd: workspace("canvos-plan-"), overrides, env: {} });
};

const request = async (over: Partial<PlanRequest> & { values?: Record<string, string> } = {}): Promise<PlanRequest> => ({
  command: "build-all",
  resolved: await resolve(over.values),
  earthly: "/usr/local/bin/earthly",
  k8sVersions: [],
  push: false,
  noCache: false,
  earthlyFlags: [],
  ...over,
});

describe("createPlan", () => {
  it("puts global flags before the target and every parameter after it", async () => {
    const plan = createPlan(await request({ push: true, noCache: true, earthlyFlags: ["--strict"], k8sVersions: ["1.27.2"] }));
    expect(plan.target).toBe("+build-all-images");
    expect(plan.argv.slice(0, 9)).toEqual(["/usr/local/bin/earthly", "--allow-privileged", "--arg-file-path=.canvos/build.arg", "--secret-file-path=.canvos/build.secret", "--env-file-path=.canvos/build.env", "--push", "--no-cache", "--strict", "+build-all-images"]);
    const after = plan.argv.slice(9);
    expect(after.every((a) => /^--[A-Z0-9_]+=/.test(a))).toBe(true);
    expect(after).toContain("--PE_VERSION=v4.3.2");
    expect(after).toContain("--FIPS_ENABLED=false");
    expect(after).toContain("--K8S_VERSIONS=1.27.2");
  });

  it("builds the whole matrix by default, in one run, and K8S_VERSION narrows it", async () => {
    const all = createPlan(await request({ command: "provider" }));
    expect(all.k8sVersions).toEqual([...versionsFor("k3s", false)]);
    expect(all.buildArgs["K8S_VERSIONS"]).toBe(versionsFor("k3s", false).join(","));
    const one = createPlan(await request({ command: "provider", values: { K8S_VERSION: "1.27.2" } }));
    expect(one.k8sVersions).toEqual(["1.27.2"]);
  });

  it("accepts --k8s-version repeated and comma-separated, without duplicates", async () => {
    const plan = createPlan(await request({ command: "provider", k8sVersions: ["1.27.2,1.28.2", "1.27.2", " 1.29.2 "] }));
    expect(plan.k8sVersions).toEqual(["1.27.2", "1.28.2", "1.29.2"]);
    expect(plan.images.map((i) => i.ref)).toEqual(["ttl.sh/ubuntu:k3s-1.27.2-v4.3.2-demo", "ttl.sh/ubuntu:k3s-1.28.2-v4.3.2-demo", "ttl.sh/ubuntu:k3s-1.29.2-v4.3.2-demo"]);
  });

  it("rejects a malformed version and, as for K8S_VERSION, one outside the matrix", async () => {
    await expect(async () => createPlan(await request({ command: "provider", k8sVersions: ["latest"] }))).rejects.toBeInstanceOf(ConfigError);
    const outside = await request({ command: "provider", k8sVersions: ["1.99.0"] });
    expect(() => createPlan(outside)).toThrow(ConfigError);
    try {
      createPlan(outside);
    } catch (error) {
      expect((error as ConfigError).problems[0]?.message).toMatch(/^"1\.99\.0" is not in the k3s matrix: .*; to build it, add it to k8s_version\.json as \{"standard": \{"k3s": \[\.\.\., "1\.99\.0"\]\}\}$/);
    }
  });

  it("lists images and artifacts per command", async () => {
    const all = createPlan(await request({ k8sVersions: ["1.27.2"], values: { CUSTOM_TAG: "", ISO_NAME: "edge" } }));
    expect(all.images.map((i) => i.ref)).toEqual(["ttl.sh/ubuntu:k3s-1.27.2-v4.3.2", "palette-installer-image:v4.3.2"]);
    expect(all.artifacts).toEqual(["build/edge.iso", "build/edge.iso.sha256"]);
    const iso = createPlan(await request({ command: "iso" }));
    expect(iso.images.map((i) => i.ref)).toEqual(["palette-installer-image:v4.3.2-demo"]);
    expect(iso.buildArgs["K8S_VERSIONS"]).toBeUndefined();
    const base = createPlan(await request({ command: "base" }));
    expect(base.target).toBe("+base-image");
    expect(base.images.map((i) => i.ref)).toEqual(["palette-base-image:v4.3.2-demo"]);
    expect(base.artifacts).toEqual([]);
  });

  it("keeps sensitive values off the command line and masks them in what it shows", async () => {
    const plan = createPlan(await request({ command: "iso", values: { HTTPS_PROXY: "http://user:hunter2@proxy:3128" } }));
    expect(plan.argv.join(" ")).not.toContain("hunter2");
    expect(plan.buildArgs["HTTPS_PROXY"]).toBe("http://user:hunter2@proxy:3128");
    expect(argFileText(plan.buildArgs)).toBe("HTTPS_PROXY='http://user:hunter2@proxy:3128'\n");
    const json = JSON.stringify(planJson(plan));
    expect(json).not.toContain("hunter2");
    expect(json).toContain("http://user:****@proxy:3128");
    expect(renderPlan(plan)).not.toContain("hunter2");
  });

  it("prints the JSON shape tools rely on", async () => {
    const json = planJson(createPlan(await request({ command: "iso" })));
    expect(Object.keys(json)).toEqual(expect.arrayContaining(["target", "argv", "buildArgs", "images", "artifacts", "profile"]));
    expect(json["profile"]).toEqual({ registry: "ttl.sh", repo: "ubuntu", k8sDistribution: "k3s", osName: "ubuntu", peVersion: "v4.3.2", customTag: "demo", osVersion: "22" });
  });
});

describe("renderProfile", () => {
  it("prints the snippet with the resolved values and the literal system.uri", async () => {
    const resolved = await resolve({ IMAGE_REGISTRY: "registry.example.com", IMAGE_REPO: "edge", K8S_DISTRIBUTION: "rke2", PE_VERSION: "v4.3.2", CUSTOM_TAG: "prod" });
    const text = renderProfile(profileFields(resolved.config));
    expect(text).toContain(
      '  system.uri: "{{ .spectro.pack.edge-native-byoi.options.system.registry }}/{{ .spectro.pack.edge-native-byoi.options.system.repo }}:{{ .spectro.pack.edge-native-byoi.options.system.k8sDistribution }}-{{ .spectro.system.kubernetes.version }}-{{ .spectro.pack.edge-native-byoi.options.system.peVersion }}-{{ .spectro.pack.edge-native-byoi.options.system.customTag }}"',
    );
    expect(text).toContain('      - image: "{{.spectro.pack.edge-native-byoi.options.system.uri}}"');
    expect(text).toMatch(/system\.registry: registry\.example\.com\n  system\.repo: edge\n  system\.k8sDistribution: rke2\n  system\.osName: ubuntu\n  system\.peVersion: v4\.3\.2\n  system\.customTag: prod\n  system\.osVersion: "22"\n$/);
  });

  it("drops the tag part of the URI when CUSTOM_TAG is empty, as the image tag does", async () => {
    const text = renderProfile(profileFields((await resolve({ CUSTOM_TAG: "" })).config));
    expect(text).not.toContain("customTag }}");
    expect(text).toContain('system.customTag: ""');
  });
});
