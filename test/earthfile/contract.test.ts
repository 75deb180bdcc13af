// The contract between the project's Earthfile and canvos: the targets canvos invokes exist, every
// parameter is declared where it is used with the catalogue's default, and the names and version
// lists the Earthfile computes equal what canvos computes.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadMatrix, versionsFor } from "../../src/config/k8s-matrix.js";
import { K8S_DISTRIBUTIONS, PARAMETERS, parameterSpec } from "../../src/config/parameters.js";
import { declaredArgNames, evaluateTarget, expandTag, readEarthfile, type Node, type Target } from "../../src/earthfile/reader.js";
import { installerImageRef, providerImageRef } from "../../src/plan/images.js";
import { K8S_VERSIONS_ARG, TARGET_OF } from "../../src/plan/targets.js";

const root = new URL("../../", import.meta.url).pathname;
const model = readEarthfile(readFileSync(join(root, "Earthfile"), "utf8"));
const target = (name: string): Target => {
  const t = model.targets.get(name);
  if (t === undefined) throw new Error(`no target ${name}`);
  return t;
};

/** Every text of a recipe, IF conditions included, for "where is $X used". */
function textsOf(nodes: readonly Node[]): string[] {
  return nodes.flatMap((node) => {
    if (node.kind === "command") return [node.command.text];
    if (node.kind === "block") return [node.header, ...textsOf(node.body)];
    return node.branches.flatMap((b) => [b.condition ?? "", ...textsOf(b.body)]);
  });
}

const scratch = mkdtempSync(join(tmpdir(), "canvos-earthfile-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Runs a shell snippet the way the Alpine helper would: with busybox's sh and applets when the
 * machine has busybox (the helper's tools), else with the system sh.
 */
function runShell(script: string, env: Record<string, string>, cwd: string): string {
  const busybox = "/bin/busybox";
  if (existsSync(busybox)) {
    const bin = join(scratch, "busybox-bin");
    if (!existsSync(bin)) {
      mkdirSync(bin);
      for (const applet of ["sh", "tr", "sed", "cut", "cat", "printf", "echo"]) symlinkSync(busybox, join(bin, applet));
    }
    return execFileSync(join(bin, "sh"), ["-c", script], { cwd, env: { PATH: bin, ...env }, encoding: "utf8" });
  }
  return execFileSync("sh", ["-c", script], { cwd, env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", ...env }, encoding: "utf8" });
}

describe("the project's Earthfile", () => {
  it("is VERSION 0.8 and reads without errors", () => {
    expect(model.version).toBe("0.8");
    expect(model.problems).toEqual([]);
  });

  it("has every target canvos invokes", () => {
    for (const ref of Object.values(TARGET_OF)) expect(model.targets.has(ref.replace(/^\+/, "")), ref).toBe(true);
  });

  it("orders its main targets the way data flows: base, provider, installer, ISO, build-all", () => {
    const lines = ["base-image", "build-provider-images", "provider-image", "iso-image", "iso", "build-all-images"].map((n) => target(n).line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  it("declares every catalogue parameter and K8S_VERSIONS", () => {
    const declared = declaredArgNames(model);
    for (const name of [...PARAMETERS.map((p) => p.name), K8S_VERSIONS_ARG]) expect(declared.has(name), name).toBe(true);
    expect(target("build-provider-images").args.map((a) => a.name)).toContain(K8S_VERSIONS_ARG);
    expect(target("provider-image").args.find((a) => a.name === "K8S_VERSION")?.required).toBe(true);
    // Reached from what canvos invokes, so a value given to that target arrives.
    expect(declaredArgNames(model, TARGET_OF.provider).has(K8S_VERSIONS_ARG)).toBe(true);
  });

  it("declares each parameter where it is used: globally or in the target itself", () => {
    const names = new Set([...PARAMETERS.map((p) => p.name), K8S_VERSIONS_ARG]);
    const global = new Set(model.globalArgs.map((a) => a.name));
    for (const t of model.targets.values()) {
      const own = new Set(t.args.map((a) => a.name));
      for (const text of textsOf(t.body)) {
        for (const match of text.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)) {
          const name = match[1] ?? "";
          if (!names.has(name)) continue;
          expect(global.has(name) || own.has(name), `${name} used in ${t.name}`).toBe(true);
        }
      }
    }
  });

  it("gives every global parameter the catalogue's default (pins included)", () => {
    const pins = PARAMETERS.filter((p) => p.group === "pin").map((p) => p.name);
    expect(pins.sort()).toEqual(
      ["ALPINE_CERT_VERSION", "ETCD_VERSION", "K3S_FLAVOR_TAG", "K3S_PROVIDER_VERSION", "KAIROS_VERSION", "KUBEADM_PROVIDER_VERSION", "OSBUILDER_VERSION", "PE_VERSION", "RKE2_FLAVOR_TAG", "RKE2_PROVIDER_VERSION"].sort(),
    );
    for (const pin of pins) expect(model.globalArgs.some((a) => a.name === pin), pin).toBe(true);
    for (const arg of model.globalArgs) {
      const spec = parameterSpec(arg.name);
      if (spec === undefined) continue;
      expect(arg.default ?? "", arg.name).toBe(spec.default);
      expect(arg.required, arg.name).toBe(false);
    }
  });

  it("defaults IMAGE_REPO to the value of OS_DISTRIBUTION", () => {
    expect(evaluateTarget(model, "iso", { OS_DISTRIBUTION: "opensuse-leap" }).vars["IMAGE_REPO"]).toBe("opensuse-leap");
    expect(evaluateTarget(model, "iso", { OS_DISTRIBUTION: "opensuse-leap", IMAGE_REPO: "edge" }).vars["IMAGE_REPO"]).toBe("edge");
  });
});

describe("provider images", () => {
  const configs = [
    { IMAGE_REGISTRY: "ttl.sh", IMAGE_REPO: "ubuntu", K8S_DISTRIBUTION: "k3s", PE_VERSION: "v4.3.2", CUSTOM_TAG: "demo" },
    { IMAGE_REGISTRY: "ttl.sh", IMAGE_REPO: "ubuntu", K8S_DISTRIBUTION: "k3s", PE_VERSION: "v4.3.2", CUSTOM_TAG: "" },
    { IMAGE_REGISTRY: "registry.example.com:5000/edge", IMAGE_REPO: "opensuse-leap", K8S_DISTRIBUTION: "kubeadm-fips", PE_VERSION: "v4.2.3", CUSTOM_TAG: "prod" },
    { IMAGE_REGISTRY: "127.0.0.1:5000", IMAGE_REPO: "rhel", K8S_DISTRIBUTION: "rke2", PE_VERSION: "v4.3.2", CUSTOM_TAG: "" },
  ] as const;

  it.each(configs)("are tagged as providerImageRef() computes: %o", (config) => {
    for (const version of ["1.27.2", "1.29.0"]) {
      const result = evaluateTarget(model, "provider-image", { ...config, K8S_VERSION: version });
      expect(result.saveImages).toHaveLength(1);
      expect(result.saveImages[0]?.push).toBe(true);
      expect(result.saveImages[0]?.refs).toEqual([providerImageRef(config, version)]);
    }
  });

  it("keep the tag expression expandable without the LET logic (the documented shape)", () => {
    const expr = "$IMAGE_REGISTRY/$IMAGE_REPO:$K8S_DISTRIBUTION-$K8S_VERSION-$PE_VERSION${CUSTOM_TAG:+-$CUSTOM_TAG}";
    for (const config of configs) expect(expandTag(expr, { ...config, K8S_VERSION: "1.28.2" })).toBe(providerImageRef(config, "1.28.2"));
  });

  it("install the luet package with the distribution's flavour suffix", () => {
    const expected: Record<string, string[]> = {
      k3s: ["k8s/k3s@$K8S_VERSION-$K3S_FLAVOR_TAG"],
      rke2: ["k8s/rke2@$K8S_VERSION-$RKE2_FLAVOR_TAG"],
      kubeadm: ["container-runtime/containerd ", "k8s/kubeadm@$K8S_VERSION "],
      "kubeadm-fips": ["container-runtime/containerd-fips", "k8s/kubeadm-fips@$K8S_VERSION "],
    };
    for (const dist of K8S_DISTRIBUTIONS) {
      const luet = evaluateTarget(model, "provider-image", { K8S_DISTRIBUTION: dist, K8S_VERSION: "1.27.2" }).runs.filter((r) => r.includes("luet install"));
      expect(luet, dist).toHaveLength(1);
      for (const part of expected[dist] ?? []) expect(luet[0], dist).toContain(part);
    }
  });

  it("take the Kairos provider and stylus framework of the distribution, FIPS-aware", () => {
    const provider = (values: Record<string, string>): string | undefined => evaluateTarget(model, "kairos-provider-image", values).froms.at(-1);
    expect(provider({})).toBe("gcr.io/spectro-images-public/kairos-io/provider-k3s:v4.2.1");
    expect(provider({ K8S_DISTRIBUTION: "kubeadm" })).toBe("gcr.io/spectro-images-public/kairos-io/provider-kubeadm:v4.3.1");
    expect(provider({ K8S_DISTRIBUTION: "kubeadm-fips", FIPS_ENABLED: "true" })).toBe("gcr.io/spectro-images-public/kairos-io/provider-kubeadm-fips:v4.3.1");
    expect(provider({ K8S_DISTRIBUTION: "rke2" })).toBe("gcr.io/spectro-images-public/kairos-io/provider-rke2:v4.1.1");
    expect(provider({ K8S_DISTRIBUTION: "rke2", FIPS_ENABLED: "true", SPECTRO_PUB_REPO: "mirror.local/pub" })).toBe("mirror.local/pub/kairos-io/provider-rke2-fips:v4.1.1");
    const stylus = (values: Record<string, string>): string | undefined => evaluateTarget(model, "stylus-image", values).froms.at(-1);
    expect(stylus({})).toBe("gcr.io/spectro-images-public/stylus-framework-linux-amd64:v4.3.2");
    expect(stylus({ FIPS_ENABLED: "true", ARCH: "arm64" })).toBe("gcr.io/spectro-images-public/stylus-framework-fips-linux-arm64:v4.3.2");
    expect(target("kairos-provider-image").froms.at(-1)?.platform).toBe("linux/$ARCH");
  });

  it("get etcdctl from +download-etcdctl at the pinned release", () => {
    expect(target("provider-image").copies.some((c) => c.sources.includes("+download-etcdctl/etcdctl"))).toBe(true);
    const run = target("download-etcdctl").runs.map((r) => r.command).join("\n");
    expect(run).toContain("https://github.com/etcd-io/etcd/releases/download/$ETCD_VERSION");
    expect(run).toContain("etcd-$ETCD_VERSION-linux-$ARCH.tar.gz");
  });
});

describe("build-provider-images", () => {
  const matrixRun = target("build-provider-images").runs.find((r) => r.command.includes("k8s_version.json"));
  const work = join(scratch, "matrix");
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, "k8s_version.json"), readFileSync(join(root, "k8s_version.json")));

  const selected = (env: Record<string, string>): string[] => {
    rmSync(join(work, "versions"), { force: true });
    runShell(matrixRun?.command ?? "exit 1", { K8S_VERSIONS: "", K8S_VERSION: "", FIPS_ENABLED: "false", K8S_DISTRIBUTION: "k3s", ...env }, work);
    return readFileSync(join(work, "versions"), "utf8").split(",");
  };

  it("copies k8s_version.json and reads it in a RUN", () => {
    expect(matrixRun).toBeDefined();
    expect(target("build-provider-images").copies.some((c) => c.sources.includes("k8s_version.json"))).toBe(true);
  });

  it("selects every version of the distribution's list, standard or FIPS, as versionsFor() does", () => {
    const matrix = loadMatrix();
    for (const dist of K8S_DISTRIBUTIONS) {
      for (const fips of [false, true]) {
        const expected = versionsFor(dist, fips, matrix);
        if (expected.length === 0) continue;
        expect(selected({ K8S_DISTRIBUTION: dist, FIPS_ENABLED: String(fips) }), `${dist} fips=${fips}`).toEqual([...expected]);
      }
    }
    // Every list of the file is reachable by some distribution/FIPS choice.
    const reached = new Set(K8S_DISTRIBUTIONS.flatMap((d) => [false, true].map((f) => JSON.stringify(versionsFor(d, f, matrix)))));
    for (const list of [...Object.values(matrix.standard), ...Object.values(matrix.fips)]) expect(reached.has(JSON.stringify(list))).toBe(true);
  });

  it("takes K8S_VERSIONS, then K8S_VERSION, before the matrix", () => {
    expect(selected({ K8S_VERSIONS: "1.27.2, 1.28.2" })).toEqual(["1.27.2", "1.28.2"]);
    expect(selected({ K8S_VERSION: "1.26.4" })).toEqual(["1.26.4"]);
  });

  it("fails when a distribution has no versions", () => {
    expect(() => selected({ K8S_DISTRIBUTION: "nope" })).toThrow();
  });

  it("hands the list to +provider-image-set", () => {
    const build = target("build-provider-images").builds;
    expect(build).toHaveLength(1);
    expect(build[0]?.target).toBe("+provider-image-set");
    expect(build[0]?.args["VERSION_LIST"]).toEqual(["$selected"]);
    expect(target("build-provider-images").args.find((a) => a.name === "selected")?.default).toBe("$(cat versions)");
  });
});

describe("provider-image-set builds in parallel", () => {
  const set = target("provider-image-set");
  const shellOut = (name: string): string => {
    const value = set.args.find((a) => a.name === name)?.default ?? "";
    const match = /^\$\((.*)\)$/s.exec(value);
    if (!match) throw new Error(`ARG ${name} is not a shell-out`);
    return match[1] ?? "";
  };

  it("has one BUILD line per version and a recursive BUILD line, no FOR loop", () => {
    expect(textsOf(set.body).some((t) => /^v?\s*IN /.test(t))).toBe(false);
    expect(set.body.some((n) => n.kind === "block" && n.keyword === "FOR")).toBe(false);
    expect(set.builds.map((b) => [b.target, Object.keys(b.args)])).toEqual([
      ["+provider-image", ["K8S_VERSION"]],
      ["+provider-image-set", ["VERSION_LIST"]],
    ]);
    expect(set.builds[0]?.line).not.toBe(set.builds[1]?.line);
    expect(set.args.find((a) => a.name === "VERSION_LIST")?.required).toBe(true);
  });

  it("reaches every version of a list through its recursion, each once", () => {
    const work = join(scratch, "set");
    mkdirSync(work, { recursive: true });
    for (const list of ["1.27.2", "1.27.2,1.28.2", "1.24.6,1.25.2,1.26.4,1.27.2,1.28.2,1.29.2"]) {
      const built: string[] = [];
      let remaining = list;
      for (let depth = 0; remaining !== "" && depth < 50; depth++) {
        const first = runShell(`printf '%s' "$(${shellOut("first")})"`, { VERSION_LIST: remaining }, work);
        const rest = runShell(`printf '%s' "$(${shellOut("rest")})"`, { VERSION_LIST: remaining }, work);
        const evaluation = evaluateTarget(model, "provider-image-set", { VERSION_LIST: remaining, first, rest });
        const builds = evaluation.builds;
        expect(builds[0]?.args["K8S_VERSION"]).toBe(first);
        built.push(first);
        remaining = builds.find((b) => b.target === "+provider-image-set")?.args["VERSION_LIST"] ?? "";
        expect(remaining).toBe(rest);
      }
      expect(built).toEqual(list.split(","));
    }
  });
});

describe("base image", () => {
  const base = (values: Record<string, string>): string | undefined => evaluateTarget(model, "base-image", values).vars["base"];

  it("derives the Kairos image from OS_DISTRIBUTION, OS_VERSION, ARCH and KAIROS_VERSION", () => {
    expect(base({})).toBe("gcr.io/spectro-images-public/kairos-ubuntu:22.04-core-amd64-generic-v2.4.5");
    expect(base({ OS_VERSION: "20" })).toBe("gcr.io/spectro-images-public/kairos-ubuntu:20.04-core-amd64-generic-v2.4.5");
    expect(base({ OS_VERSION: "22.04", ARCH: "arm64" })).toBe("gcr.io/spectro-images-public/kairos-ubuntu:22.04-core-arm64-generic-v2.4.5");
    expect(base({ OS_DISTRIBUTION: "opensuse-leap", OS_VERSION: "15.5", KAIROS_BASE_IMAGE_URL: "mirror.local/k" })).toBe(
      "mirror.local/k/opensuse:leap-15.5-core-amd64-generic-v2.4.5",
    );
    expect(base({ OS_DISTRIBUTION: "rhel", BASE_IMAGE: "reg/rhel:8" })).toBe("reg/rhel:8");
  });

  it("fails for rhel and sles without BASE_IMAGE", () => {
    for (const os of ["rhel", "sles"]) {
      const runs = evaluateTarget(model, "base-image", { OS_DISTRIBUTION: os }).runs;
      expect(runs.some((r) => r.includes("BASE_IMAGE is required") && r.includes("exit 1")), os).toBe(true);
    }
  });

  it("passes the base through the user's Dockerfile, for linux/$ARCH", () => {
    const from = target("base-image").froms.find((f) => f.kind === "dockerfile");
    expect(from?.args["BASE"]).toEqual(["$base"]);
    expect(from?.dockerfile).toBe("+customisation-context/context/Dockerfile");
    expect(from?.platform).toBe("linux/$ARCH");
    for (const proxy of ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"]) expect(from?.args[proxy], proxy).toEqual([`$${proxy}`]);
    expect(target("customisation-context").copies.map((c) => c.sources[0])).toEqual(["Dockerfile", "+proxy-certs/certs"]);
  });

  it("holds the kernel unless UPDATE_KERNEL, per distribution", () => {
    const runs = (values: Record<string, string>): string => evaluateTarget(model, "base-image", values).runs.join("\n");
    expect(runs({})).toContain("apt-mark hold");
    expect(runs({ UPDATE_KERNEL: "true" })).not.toContain("apt-mark hold");
    expect(runs({})).toContain("zstd vim iputils-ping bridge-utils curl tcpdump ethtool");
    expect(runs({})).toContain("dracut -f");
    expect(runs({ OS_DISTRIBUTION: "opensuse-leap", OS_VERSION: "15.5" })).toContain("addlock 'kernel-de*'");
    expect(runs({ OS_DISTRIBUTION: "opensuse-leap", OS_VERSION: "15.5", UPDATE_KERNEL: "true" })).not.toContain("addlock");
    expect(runs({ OS_DISTRIBUTION: "opensuse-leap", OS_VERSION: "15.5" })).toContain("apparmor");
  });

  it("adds the luet repository (arm64 aware), os-release, selinux and Jetson settings", () => {
    const runs = (values: Record<string, string>): string => evaluateTarget(model, "base-image", values).runs.join("\n");
    expect(runs({})).toContain('repo="$SPECTRO_LUET_REPO/luet-repo"');
    expect(runs({})).toContain('repo="$SPECTRO_LUET_REPO/luet-repo-arm"');
    expect(runs({})).toContain("envsubst < /usr/lib/os-release.tmpl >> /etc/os-release");
    expect(runs({})).toContain("selinux=0");
    expect(runs({ DISABLE_SELINUX: "false" })).not.toContain("selinux=0");
    expect(target("base-image").copies.find((c) => c.sources.includes("spectro-luet-auth.yaml"))?.ifExists).toBe(true);
    const jetson = (values: Record<string, string>): boolean =>
      evaluateTarget(model, "base-image", values).copies.some((c) => c.dest === "/system/oem/mount.yaml");
    expect(jetson({ BASE_IMAGE: "reg/ubuntu:nvidia-jetson-agx-orin-22.04" })).toBe(true);
    expect(jetson({})).toBe(false);
  });
});

describe("installer image and ISO", () => {
  it.each([{ PE_VERSION: "v4.3.2", CUSTOM_TAG: "demo" }, { PE_VERSION: "v4.3.2", CUSTOM_TAG: "" }])("tags the installer image as installerImageRef(): %o", (config) => {
    expect(evaluateTarget(model, "iso-image", config).saveImages).toEqual([{ refs: [installerImageRef(config)], push: false, line: expect.any(Number) as number }]);
  });

  it("saves $ISO_NAME.iso and its .sha256 under build/", () => {
    const iso = target("iso");
    expect(iso.saveArtifacts.map((a) => a.local)).toEqual(["build/$ISO_NAME.iso", "build/$ISO_NAME.iso.sha256"]);
    expect(iso.saveArtifacts.map((a) => expandTag(a.local ?? "", { ISO_NAME: "edge" }))).toEqual(["build/edge.iso", "build/edge.iso.sha256"]);
    const runs = iso.runs.map((r) => r.command).join("\n");
    expect(runs).toContain('/entrypoint.sh --name "$ISO_NAME" build-iso --date=false --overlay-iso /overlay dir:/build/image --output /iso/ --arch "$iso_arch"');
    expect(runs).toContain('sha256sum "$ISO_NAME.iso" > "$ISO_NAME.iso.sha256"');
    expect(evaluateTarget(model, "iso", {}).froms[0]).toBe("gcr.io/spectro-images-public/osbuilder-tools:v0.7.11");
  });

  it("puts the overlay, user-data, content bundles and the cluster config on the ISO only when present", () => {
    const copies = (values: Record<string, string>): string[] => evaluateTarget(model, "iso", values).copies.map((c) => `${c.sources.join(" ")} -> ${c.dest}`);
    expect(copies({})).toEqual([
      "overlay/files-iso/ -> /overlay/",
      "user-data -> /overlay/config.yaml",
      "content-*/*.zst -> /overlay/opt/spectrocloud/content/",
      "+iso-image-rootfs/rootfs -> /build/image",
    ]);
    expect(copies({ CLUSTERCONFIG: "spc.tgz" })).toContain("spc.tgz -> /overlay/opt/spectrocloud/clusterconfig/spc.tgz");
    for (const copy of target("iso").copies.filter((c) => ["user-data", "content-*/*.zst", "$CLUSTERCONFIG"].includes(c.sources[0] ?? ""))) {
      expect(copy.ifExists, copy.sources[0]).toBe(true);
    }
  });

  it("builds the installer image from base, stylus framework, overlay/files and an optional ui.tar", () => {
    const iso = target("iso-image");
    expect(iso.froms[0]?.ref).toBe("+base-image");
    expect(iso.copies.map((c) => c.sources[0])).toEqual(["+stylus-image/framework", "overlay/files/", "ui.tar"]);
    expect(iso.runs.map((r) => r.command).join("\n")).toContain("/opt/spectrocloud/emc");
  });

  it("build-all-images BUILDs the provider images and the ISO", () => {
    expect(target("build-all-images").builds.map((b) => b.target)).toEqual(["+build-provider-images", "+iso"]);
    expect(target("iso").builds.map((b) => b.target)).toEqual(["+iso-image"]);
  });
});

describe("files beside the Earthfile", () => {
  it("os-release.tmpl carries every KAIROS_ field", () => {
    const tmpl = readFileSync(join(root, "overlay/files/usr/lib/os-release.tmpl"), "utf8");
    for (const field of ["NAME", "VERSION", "ID", "ID_LIKE", "VERSION_ID", "PRETTY_NAME", "BUG_REPORT_URL", "HOME_URL", "IMAGE_REPO", "IMAGE_LABEL", "GITHUB_REPO", "VARIANT", "FLAVOR"]) {
      expect(tmpl, field).toMatch(new RegExp(`^KAIROS_${field}=`, "m"));
    }
  });

  it("grub.cfg has the auto, manual and hidden text-mode entries with the live kernel args", () => {
    const grub = readFileSync(join(root, "overlay/files-iso/boot/grub2/grub.cfg"), "utf8");
    expect(grub).toContain('menuentry "Palette eXtended Kubernetes Edge Installer" ');
    expect(grub).toContain('menuentry "Palette eXtended Kubernetes Edge Installer (manual)" ');
    expect(grub).toContain('hiddenentry "Text mode" --hotkey "t"');
    expect(grub).toContain("set linux=linuxefi");
    expect(grub).toContain("set initrd=initrdefi");
    expect(grub).toContain("cdroot root=live:CDLABEL=COS_LIVE rd.live.dir=/ rd.live.squashimg=rootfs.squashfs net.ifnames=1 console=tty1 console=ttyS0 rd.cos.disable selinux=0 rd.live.overlay.overlayfs");
    expect(grub).toContain("vga=795 nomodeset nodepair.enable");
    expect(existsSync(join(root, "overlay/files-iso/opt/spectrocloud/content/.gitkeep"))).toBe(true);
  });

  it("every file the Earthfile COPYs from the workspace exists or is optional", () => {
    for (const t of model.targets.values()) {
      for (const copy of t.copies) {
        for (const source of copy.sources) {
          if (copy.ifExists || source.startsWith("+") || source.startsWith("(") || source.includes("$")) continue;
          expect(existsSync(join(root, source)), `${t.name}: ${source}`).toBe(true);
        }
      }
    }
  });

  it(".earthlyignore keeps out outputs and secrets but not the inputs the Earthfile copies", () => {
    const ignore = readFileSync(join(root, ".earthlyignore"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
    for (const entry of ["build/", "dist/", "node_modules/", ".arg", "*.key"]) expect(ignore).toContain(entry);
    for (const input of ["user-data", "content-*/", "spectro-luet-auth.yaml", "ui.tar", "certs/", "k8s_version.json", "Dockerfile", "overlay/"]) expect(ignore).not.toContain(input);
  });
});

describe("proxies, certificates and shared steps", () => {
  const envLines = (t: Target): string[] =>
    t.body.flatMap(function collect(node: Node): string[] {
      if (node.kind === "command") return node.command.keyword === "ENV" ? [node.command.text] : [];
      if (node.kind === "block") return node.body.flatMap(collect);
      return node.branches.flatMap((b) => b.body.flatMap(collect));
    });

  it("hands the proxy to every RUN as global ARGs, lower-case names included", () => {
    const globals = new Map(model.globalArgs.map((a) => [a.name, a.default]));
    for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"]) {
      expect(globals.get(name), name).toBe("");
      expect(globals.get(name.toLowerCase()), name).toBe(`$${name}`);
    }
  });

  it("sets proxy ENV only in the helper, never in an image that ships", () => {
    expect(envLines(target("helper")).join("\n")).toContain("https_proxy=$HTTPS_PROXY");
    for (const name of ["base-image", "provider-image", "iso-image"]) expect(envLines(target(name)), name).toEqual([]);
  });

  it("trusts PROXY_CERT_PATH and certs/ in the base image (via the Dockerfile) and the helper", () => {
    const certs = evaluateTarget(model, "proxy-certs", { PROXY_CERT_PATH: "ca/proxy.pem" }).copies.map((c) => `${c.sources[0] ?? ""} -> ${c.dest}`);
    expect(certs).toEqual(["certs/ -> /certs/", "ca/proxy.pem -> /certs/proxy-ca.crt"]);
    expect(evaluateTarget(model, "proxy-certs", {}).copies).toHaveLength(1);
    expect(target("helper").dos.map((d) => d.target)).toEqual(["+TRUST_CERTS"]);
    expect(target("TRUST_CERTS").copies[0]?.sources).toEqual(["+proxy-certs/certs"]);
  });

  it("calls only FUNCTIONs with DO, and every FUNCTION is used", () => {
    const called = new Set<string>();
    for (const t of model.targets.values()) {
      for (const call of t.dos) {
        const name = call.target.replace(/^\+/, "");
        called.add(name);
        expect(model.targets.get(name)?.kind, `${t.name}: DO ${call.target}`).toBe("function");
      }
    }
    for (const t of model.targets.values()) if (t.kind === "function") expect(called.has(t.name), t.name).toBe(true);
  });

  it("pulls every image through a registry ARG and a pinned version ARG", () => {
    for (const t of model.targets.values()) {
      for (const from of t.froms.filter((f) => f.kind === "image")) {
        expect(from.ref, `${t.name}: FROM ${from.ref}`).toMatch(/^\$(SPECTRO_PUB_REPO|KAIROS_BASE_IMAGE_URL)\//);
        // A pin ARG, or a LET chosen among pins (checked by the provider/stylus tests above).
        expect(from.ref, `${t.name}: FROM ${from.ref}`).toMatch(/(:\$[A-Z_]+|\$[a-z_]+)$/);
      }
    }
  });
});
