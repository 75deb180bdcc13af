import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, type Problem } from "../../../src/errors.js";
import { loadConfig, maskValue } from "../../../src/config/resolve.js";
import type { Override, ResolveOptions } from "../../../src/config/types.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "canvos-resolve-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function options(overrides: Override[] = [], extra: Partial<ResolveOptions> = {}): ResolveOptions {
  return { cwd: dir, overrides, env: {}, ...extra };
}
const flag = (key: string, value: string, spelled = `--${key}`): Override => ({ key, value, flag: spelled });

async function problemsOf(promise: Promise<unknown>): Promise<Problem[]> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.filter((p) => p.severity === "error");
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig: sources and precedence", () => {
  it("uses the README defaults when there is no .arg, and says so once", async () => {
    const { config, sources, warnings, argFile } = await loadConfig(options());
    expect(config).toMatchObject({
      CUSTOM_TAG: "demo",
      IMAGE_REGISTRY: "ttl.sh",
      OS_DISTRIBUTION: "ubuntu",
      IMAGE_REPO: "ubuntu",
      OS_VERSION: "22",
      K8S_DISTRIBUTION: "k3s",
      ISO_NAME: "palette-edge-installer",
      ARCH: "amd64",
      FIPS_ENABLED: false,
      UPDATE_KERNEL: false,
      DISABLE_SELINUX: true,
      PE_VERSION: "v4.3.2",
      SPECTRO_PUB_REPO: "gcr.io/spectro-images-public",
    });
    expect(sources["ARCH"]).toEqual({ kind: "default" });
    expect(argFile).toBeNull();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain("no .arg file");
  });

  it("defaults < .arg < flags, each value knowing where it came from", async () => {
    writeFileSync(join(dir, ".arg"), "ARCH=amd64\nCUSTOM_TAG=fromfile\nIMAGE_REGISTRY=registry.example.com\n");
    const { config, sources } = await loadConfig(options([flag("CUSTOM_TAG", "fromflag", "--tag")]));
    expect(config.CUSTOM_TAG).toBe("fromflag");
    expect(config.IMAGE_REGISTRY).toBe("registry.example.com");
    expect(sources["CUSTOM_TAG"]).toEqual({ kind: "flag", flag: "--tag" });
    expect(sources["IMAGE_REGISTRY"]).toEqual({ kind: "file", file: ".arg", line: 3 });
    expect(sources["OS_VERSION"]).toEqual({ kind: "default" });
  });

  it("expands the template's IMAGE_REPO=$OS_DISTRIBUTION", async () => {
    writeFileSync(join(dir, ".arg"), "OS_DISTRIBUTION=opensuse-leap\nOS_VERSION=15.5\nIMAGE_REPO=$OS_DISTRIBUTION\n");
    expect((await loadConfig(options())).config.IMAGE_REPO).toBe("opensuse-leap");
  });

  it("lets a reference follow a flag that overrides the referenced key", async () => {
    writeFileSync(join(dir, ".arg"), "OS_DISTRIBUTION=ubuntu\nIMAGE_REPO=${OS_DISTRIBUTION}-edge\n");
    const { config } = await loadConfig(options([flag("OS_DISTRIBUTION", "opensuse-leap", "--os"), flag("OS_VERSION", "15.5")]));
    expect(config.IMAGE_REPO).toBe("opensuse-leap-edge");
  });

  it("expands the IMAGE_REPO default from the final OS_DISTRIBUTION", async () => {
    const { config } = await loadConfig(options([flag("OS_DISTRIBUTION", "opensuse-leap"), flag("OS_VERSION", "15.4")]));
    expect(config.IMAGE_REPO).toBe("opensuse-leap");
  });

  it("takes proxies from the environment only when neither file nor flag sets them", async () => {
    const env = { HTTPS_PROXY: "http://env-proxy:3128", http_proxy: "http://lower:3128", NO_PROXY: "localhost" };
    writeFileSync(join(dir, ".arg"), "NO_PROXY=.internal\n");
    const { config, sources } = await loadConfig(options([], { env }));
    expect(config.HTTPS_PROXY).toBe("http://env-proxy:3128");
    expect(sources["HTTPS_PROXY"]).toEqual({ kind: "env", variable: "HTTPS_PROXY" });
    expect(config.HTTP_PROXY).toBe("http://lower:3128");
    expect(config.NO_PROXY).toBe(".internal");
  });

  it("reads --arg-file instead of ./.arg, and ./.arg values do not leak", async () => {
    writeFileSync(join(dir, ".arg"), "CUSTOM_TAG=local\n");
    writeFileSync(join(dir, "ci.arg"), "IMAGE_REGISTRY=ci.example.com\n");
    const { config, argFile } = await loadConfig(options([], { argFile: "ci.arg" }));
    expect(argFile).toBe(join(dir, "ci.arg"));
    expect(config.CUSTOM_TAG).toBe("demo");
    expect(config.IMAGE_REGISTRY).toBe("ci.example.com");
  });

  it("warns about a key set twice; the later one wins", async () => {
    writeFileSync(join(dir, ".arg"), "CUSTOM_TAG=a\nCUSTOM_TAG=b\n");
    const { config, warnings } = await loadConfig(options());
    expect(config.CUSTOM_TAG).toBe("b");
    expect(warnings).toContainEqual({ where: ".arg:2", severity: "warning", message: expect.stringContaining("first at line 1") });
  });

  it("accepts the Jetson README's platform= line with a warning", async () => {
    writeFileSync(join(dir, ".arg"), "platform=linux/amd64\n");
    const { warnings } = await loadConfig(options());
    expect(warnings[0]).toMatchObject({ where: ".arg:1", message: expect.stringContaining("taken from ARCH") });
  });

  it("accepts ARGs the workspace's Earthfile adds, and passes them on", async () => {
    writeFileSync(join(dir, ".arg"), "MY_PACKAGES=htop\n");
    const resolved = await loadConfig(options(), { earthfile: { file: "Earthfile", declared: new Set(["MY_PACKAGES", "ARCH"]), problems: [] } });
    expect(resolved.extra).toEqual({ MY_PACKAGES: "htop" });
    expect(resolved.extraSources["MY_PACKAGES"]).toEqual({ kind: "file", file: ".arg", line: 1 });
  });
});

describe("loadConfig: the workspace's Earthfile", () => {
  it("refuses a parameter the Earthfile does not declare, where it was set", async () => {
    writeFileSync(join(dir, ".arg"), "ARCH=amd64\nCLUSTERCONFIG=spc.tgz\n");
    const problems = await problemsOf(
      loadConfig(options([flag("CUSTOM_TAG", "x", "--tag")]), { earthfile: { file: "Earthfile", declared: new Set(["ARCH", "CLUSTER_CONFIG"]), problems: [] } }),
    );
    expect(problems).toEqual([
      { where: ".arg:2", severity: "error", message: 'CLUSTERCONFIG is not declared by Earthfile (did you mean "CLUSTER_CONFIG"?); Earthly would silently drop its value' },
      { where: "--tag", severity: "error", message: "CUSTOM_TAG is not declared by Earthfile; Earthly would silently drop its value" },
    ]);
  });

  it("says what the Earthfile reader found, as warnings", async () => {
    const found = { where: "Earthfile:3", severity: "error" as const, message: "odd line" };
    const { warnings } = await loadConfig(options(), { earthfile: { file: "Earthfile", declared: new Set(), problems: [found] } });
    expect(warnings).toContainEqual({ ...found, severity: "warning" });
  });
});

describe("loadConfig: every problem at once, with its location", () => {
  it("reports each bad line with file:line and a did-you-mean", async () => {
    writeFileSync(
      join(dir, ".arg"),
      ["OS_DISTRIBUTION=ubuntoo", "ARHC=arm64", "FIPS_ENABLED=yes", "ISO_NAME=my installer", "IMAGE_REGISTRY=ttl.sh"].join("\n"),
    );
    const problems = await problemsOf(loadConfig(options([flag("ARCH", "arm65")])));
    expect(problems.map((p) => `${p.where}: ${p.message}`)).toEqual([
      '.arg:1: OS_DISTRIBUTION: "ubuntoo" is not one of ubuntu, opensuse-leap, rhel, sles (did you mean "ubuntu"?)',
      '.arg:2: unknown parameter ARHC (did you mean "ARCH"?); Earthly would silently ignore it',
      '.arg:3: FIPS_ENABLED: "yes" is not a boolean: use true or false (did you mean "true"?)',
      '.arg:4: ISO_NAME: "my installer" is not a plain file name (letters, digits, . _ + -; no / or spaces)',
      '--ARCH: ARCH: "arm65" is not one of amd64, arm64 (did you mean "arm64"?)',
    ]);
  });

  it("names the flag for an unknown override", async () => {
    const problems = await problemsOf(loadConfig(options([flag("IMAGE_REPOSITORY", "x")])));
    expect(problems).toEqual([{ where: "--IMAGE_REPOSITORY", severity: "error", message: 'IMAGE_REPOSITORY is not a parameter (did you mean "IMAGE_REPO"?)' }]);
  });

  it("includes problems the command line parser found", async () => {
    const early: Problem = { where: "--archh", severity: "error", message: "unknown option" };
    writeFileSync(join(dir, ".arg"), "ARCH=sparc\n");
    const problems = await problemsOf(loadConfig(options([], { commandLineProblems: [early] })));
    expect(problems.map((p) => p.where)).toEqual([".arg:1", "--archh"]);
  });

  it("refuses a directory, a missing named file, binary garbage and a huge file", async () => {
    mkdirSync(join(dir, "adir"));
    writeFileSync(join(dir, "garbage"), Buffer.from([0x41, 0x00, 0xff, 0x10]));
    writeFileSync(join(dir, "huge"), Buffer.alloc(10 * 1024 * 1024, 0x41));
    expect((await problemsOf(loadConfig(options([], { argFile: "adir" }))))[0]?.message).toContain("is a directory");
    expect((await problemsOf(loadConfig(options([], { argFile: "missing.arg" }))))[0]?.message).toContain("no such file");
    expect((await problemsOf(loadConfig(options([], { argFile: "garbage" }))))[0]?.message).toContain("not a text file");
    expect((await problemsOf(loadConfig(options([], { argFile: "huge" }))))[0]?.message).toContain("10.0 MiB");
  });
});

describe("cross-field rules (facts.md, Parameter rules)", () => {
  const cases: Array<[string, string, string]> = [
    ["rhel needs BASE_IMAGE", "OS_DISTRIBUTION=rhel\nOS_VERSION=8", "OS_DISTRIBUTION: rhel has no public Kairos base image"],
    ["sles needs BASE_IMAGE", "OS_DISTRIBUTION=sles\nOS_VERSION=5.4", "OS_DISTRIBUTION: sles has no public Kairos base image"],
    ["arm64 needs BASE_IMAGE", "ARCH=arm64", "ARCH: arm64 builds need BASE_IMAGE"],
    ["k3s has no FIPS", "FIPS_ENABLED=true\nBASE_IMAGE=example.com/fips:1", "K8S_DISTRIBUTION: k3s has no FIPS build"],
    ["FIPS needs a base image", "FIPS_ENABLED=true\nK8S_DISTRIBUTION=rke2", "FIPS_ENABLED: FIPS builds need a FIPS base image"],
    ["kubeadm-fips needs FIPS", "K8S_DISTRIBUTION=kubeadm-fips", "K8S_DISTRIBUTION: kubeadm-fips is built only with FIPS_ENABLED=true"],
    ["OS_VERSION fits ubuntu", "OS_VERSION=15.5", 'OS_VERSION: "15.5" is not a version of ubuntu'],
    ["K8S_VERSION in the matrix", "K8S_VERSION=1.27.99", 'K8S_VERSION: "1.27.99" is not in the k3s matrix'],
    ["K8S_VERSION in the FIPS matrix", "FIPS_ENABLED=true\nK8S_DISTRIBUTION=rke2\nBASE_IMAGE=a.io/b:c\nK8S_VERSION=1.29.2", 'K8S_VERSION: "1.29.2" is not in the FIPS rke2 matrix'],
    ["K8S_VERSION without v", "K8S_VERSION=v1.27.2", "write it without the leading v"],
    ["tag at most 128 characters", `CUSTOM_TAG=${"x".repeat(120)}`, "Docker allows at most 128"],
    ["repo lowercase", "IMAGE_REPO=Ubuntu", 'IMAGE_REPO: "Ubuntu" is not a valid repository name'],
    ["registry is a host", "IMAGE_REGISTRY=-bad-", "does not start with a registry host"],
    ["ISO_NAME without .iso", "ISO_NAME=edge.iso", "give the name without .iso"],
    ["ISO_NAME no path", "ISO_NAME=../edge", "is not a plain file name"],
    ["proxy is a URL", "HTTP_PROXY=proxy:3128x", "HTTP_PROXY: not a proxy URL like http://user:password@proxy.example.com:3128: its port is not a number"],
    ["proxy is http or https", "HTTP_PROXY=socks5://proxy:1080", "HTTP_PROXY: not a proxy URL like http://user:password@proxy.example.com:3128: it must start with http:// or https://"],
    ["base image reference", "BASE_IMAGE=Ubuntu:22", 'BASE_IMAGE: "Ubuntu:22" is not a valid image reference'],
    ["pins are versions", "PE_VERSION=latest", 'PE_VERSION: "latest" is not a version'],
  ];
  it.each(cases)("%s", async (_name, text, expected) => {
    writeFileSync(join(dir, ".arg"), text + "\n");
    const problems = await problemsOf(loadConfig(options()));
    expect(problems.map((p) => p.message).join("\n")).toContain(expected);
  });

  it("accepts the valid combinations the README shows", async () => {
    const valid = [
      "",
      "OS_DISTRIBUTION=opensuse-leap\nOS_VERSION=15.4\nIMAGE_REPO=$OS_DISTRIBUTION",
      "BASE_IMAGE=gcr.io/spectro-dev-public/ubuntu-focal-fips:v4.2_20231226\nFIPS_ENABLED=true\nK8S_DISTRIBUTION=kubeadm-fips\nOS_VERSION=20",
      "BASE_IMAGE=quay.io/kairos/ubuntu:20.04-core-arm64-nvidia-jetson-agx-orin-v2.4.3\nARCH=arm64\nplatform=linux/arm64",
      "OS_DISTRIBUTION=rhel\nOS_VERSION=8\nBASE_IMAGE=registry.example.com:5000/rhel-core:8",
      "K8S_DISTRIBUTION=rke2\nK8S_VERSION=1.29.3\nCUSTOM_TAG=",
      "HTTP_PROXY=http://user:pass@proxy.example.com:3128\nNO_PROXY=10.0.0.0/8,.svc",
    ];
    for (const text of valid) {
      writeFileSync(join(dir, ".arg"), text + "\n");
      await expect(loadConfig(options()), text).resolves.toBeDefined();
    }
  });

  it("does not cascade: a bad FIPS_ENABLED does not also fail the FIPS rules", async () => {
    writeFileSync(join(dir, ".arg"), "FIPS_ENABLED=maybe\nK8S_VERSION=1.27.2\n");
    const problems = await problemsOf(loadConfig(options()));
    expect(problems).toHaveLength(1);
  });

  it("points a rule broken by a default at the value that broke it", async () => {
    writeFileSync(join(dir, ".arg"), "# x\nOS_DISTRIBUTION=opensuse-leap\n");
    const problems = await problemsOf(loadConfig(options()));
    expect(problems).toEqual([
      { where: ".arg:2", severity: "error", message: expect.stringMatching(/^OS_VERSION: "22" is not a version of opensuse-leap.*"22" is the default/) },
    ]);
  });
});

describe("maskValue", () => {
  it("masks proxy passwords and secret-looking keys, nothing else", () => {
    expect(maskValue("HTTP_PROXY", "http://user:s3cret@proxy:3128")).toBe("http://user:****@proxy:3128");
    expect(maskValue("HTTPS_PROXY", "http://token@proxy:3128")).toBe("http://****@proxy:3128");
    expect(maskValue("MY_API_TOKEN", "abc")).toBe("****");
    expect(maskValue("ARCH", "amd64")).toBe("amd64");
  });
});

describe("proxy URLs without a scheme", () => {
  it("a bare host[:port] is http://, from the file and the environment alike; anything scheme-like is left to be refused", async () => {
    const { withProxyScheme } = await import("../../../src/config/proxy-url.js");
    expect(withProxyScheme("proxy.example.com:3128")).toBe("http://proxy.example.com:3128");
    expect(withProxyScheme("[::1]:3128")).toBe("http://[::1]:3128");
    for (const kept of ["", "http://p:1", "http:bob:pw@p:1", "bob:pw@p:1", "ftp://p", " p:1"]) expect(withProxyScheme(kept)).toBe(kept);
    writeFileSync(join(dir, ".arg"), "HTTPS_PROXY=proxy.example.com:3128\n");
    const { config } = await loadConfig(options([], { env: { HTTP_PROXY: "proxy2:8080" } }));
    expect(config.HTTPS_PROXY).toBe("http://proxy.example.com:3128");
    expect(config.HTTP_PROXY).toBe("http://proxy2:8080");
  });
});
