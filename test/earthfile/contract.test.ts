// The contract between the project's Earthfile and canvos: the targets canvos invokes exist, every
// parameter is declared where it is used with the catalogue's default, and the names and version
// lists the Earthfile computes equal what canvos computes.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadMatrix, versionsFor } from "../../src/config/k8s-matrix.js";
import { K8S_DISTRIBUTIONS, PARAMETERS, parameterSpec } from "../../src/config/parameters.js";
import { declaredArgNames, evaluateTarget, expandTag, readEarthfile, type Node, type Target } from "../../src/earthfile/reader.js";
import { installerImageRef, providerImageRef } from "../../src/plan/images.js";
import { K8S_VERSIONS_ARG, TARGET_OF } from "../../src/plan/targets.js";
import { shellOutLocally } from "../support/earthfile-run.js";

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
      k3s: ['"k8s/k3s@$K8S_VERSION-$K3S_FLAVOR_TAG"'],
      rke2: ['"k8s/rke2@$K8S_VERSION-$RKE2_FLAVOR_TAG"'],
      kubeadm: ["container-runtime/containerd ", '"k8s/kubeadm@$K8S_VERSION"'],
      "kubeadm-fips": ["container-runtime/containerd-fips ", '"k8s/kubeadm-fips@$K8S_VERSION"'],
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

  it("get etcdctl from +download-etcdctl, through steps/download-etcdctl.sh from ETCD_REPO", () => {
    expect(target("provider-image").copies.some((c) => c.sources.includes("+download-etcdctl/etcdctl"))).toBe(true);
    expect(target("download-etcdctl").runs.map((r) => r.command)).toEqual(["/canvos-steps/download-etcdctl.sh /etcd"]);
    expect(target("download-etcdctl").copies.map((c) => c.sources)).toEqual([["steps/download-etcdctl.sh"]]);
    expect(model.globalArgs.find((a) => a.name === "ETCD_REPO")?.default).toBe("https://github.com/etcd-io");
    const script = readFileSync(join(root, "steps/download-etcdctl.sh"), "utf8");
    expect(script).toContain('url="$repo/etcd/releases/download/$ETCD_VERSION"');
    expect(script).toContain('archive="etcd-$ETCD_VERSION-linux-$ARCH.tar.gz"');
  });
});

describe("build-provider-images", () => {
  const shellOut = shellOutLocally(root);
  const versions = (values: Record<string, string>): string[] => {
    const evaluation = evaluateTarget(model, "build-provider-images", { K8S_DISTRIBUTION: "k3s", ...values }, { shellOut });
    const failed = evaluation.problems.filter((p) => p.severity === "error");
    if (failed.length > 0) throw new Error(failed.map((p) => p.message).join("\n"));
    return evaluation.builds.map((b) => {
      expect(b.target).toBe("+provider-image");
      return b.args["K8S_VERSION"] ?? "";
    });
  };

  it("builds one +provider-image per selected version, in a FOR loop over the selection script", () => {
    const loop = target("build-provider-images").body.find((n) => n.kind === "block" && n.keyword === "FOR");
    expect(loop?.kind === "block" ? loop.header : "").toBe("version IN $(/canvos-steps/select-k8s-versions.sh /canvos-steps/k8s_version.json)");
    expect(target("build-provider-images").copies.map((c) => c.sources)).toEqual([["k8s_version.json", "steps/select-k8s-versions.sh"]]);
    expect(model.targets.has("provider-image-set")).toBe(false);
  });

  it("selects every version of the distribution's list, standard or FIPS, as versionsFor() does", () => {
    const matrix = loadMatrix();
    for (const dist of K8S_DISTRIBUTIONS) {
      for (const fips of [false, true]) {
        const expected = versionsFor(dist, fips, matrix);
        if (expected.length === 0) continue;
        expect(versions({ K8S_DISTRIBUTION: dist, FIPS_ENABLED: String(fips) }), `${dist} fips=${fips}`).toEqual([...expected]);
      }
    }
    // Every list of the file is reachable by some distribution/FIPS choice.
    const reached = new Set(K8S_DISTRIBUTIONS.flatMap((d) => [false, true].map((f) => JSON.stringify(versionsFor(d, f, matrix)))));
    for (const list of [...Object.values(matrix.standard), ...Object.values(matrix.fips)]) expect(reached.has(JSON.stringify(list))).toBe(true);
  });

  it("takes K8S_VERSIONS, then K8S_VERSION, before the matrix", () => {
    expect(versions({ K8S_VERSIONS: "1.27.2, 1.28.2" })).toEqual(["1.27.2", "1.28.2"]);
    expect(versions({ K8S_VERSION: "1.26.4" })).toEqual(["1.26.4"]);
  });

  it("fails while Earthly reads the Earthfile when a distribution has no versions", () => {
    expect(() => versions({ K8S_DISTRIBUTION: "nope" })).toThrow(/no Kubernetes versions for K8S_DISTRIBUTION=nope/);
  });
});

describe("base image", () => {
  const shellOut = shellOutLocally(root);
  const evaluate = (values: Record<string, string>) => evaluateTarget(model, "base-image", values, { shellOut });
  const base = (values: Record<string, string>): string | undefined => evaluate(values).vars["base"];
  /** The step scripts a configuration runs, in order. */
  const scripts = (values: Record<string, string>): string[] =>
    evaluate(values).steps.flatMap((s) => (s.kind === "run" ? [/\/(?:tmp\/)?canvos-steps\/([a-z-]+\.sh)/.exec(s.command)?.[1] ?? s.command] : []));

  it("derives the Kairos image from OS_DISTRIBUTION, OS_VERSION, ARCH and KAIROS_VERSION", () => {
    expect(base({})).toBe("gcr.io/spectro-images-public/kairos-ubuntu:22.04-core-amd64-generic-v2.4.5");
    expect(base({ OS_VERSION: "20" })).toBe("gcr.io/spectro-images-public/kairos-ubuntu:20.04-core-amd64-generic-v2.4.5");
    expect(base({ OS_VERSION: "22.04", ARCH: "arm64" })).toBe("gcr.io/spectro-images-public/kairos-ubuntu:22.04-core-arm64-generic-v2.4.5");
    expect(base({ OS_DISTRIBUTION: "opensuse-leap", OS_VERSION: "15.5", KAIROS_BASE_IMAGE_URL: "mirror.local/k" })).toBe(
      "mirror.local/k/opensuse:leap-15.5-core-amd64-generic-v2.4.5",
    );
    expect(base({ OS_DISTRIBUTION: "rhel", BASE_IMAGE: "reg/rhel:8" })).toBe("reg/rhel:8");
  });

  it("fails for rhel and sles without BASE_IMAGE while Earthly reads the Earthfile, saying so", () => {
    for (const os of ["rhel", "sles"]) {
      const failed = evaluate({ OS_DISTRIBUTION: os }).problems.filter((p) => p.severity === "error");
      expect(failed.map((p) => p.message).join("\n"), os).toContain(`BASE_IMAGE is required for OS_DISTRIBUTION=${os}`);
    }
  });

  it("passes the base through the user's Dockerfile, for linux/$ARCH, with the context's contents as the context", () => {
    const from = target("base-image").froms.find((f) => f.kind === "dockerfile");
    expect(from?.args["BASE"]).toEqual(["$base"]);
    expect(from?.dockerfile).toBe("+customisation-context/context/Dockerfile");
    expect(from?.ref).toBe("+customisation-context/context/*");
    expect(from?.platform).toBe("linux/$ARCH");
    for (const proxy of ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"]) expect(from?.args[proxy], proxy).toEqual([`$${proxy}`]);
    expect(target("customisation-context").copies.map((c) => c.sources[0])).toEqual(["Dockerfile", "+proxy-certs/certs"]);
  });

  it("runs the package, kernel and initrd steps only on the generic amd64 images", () => {
    const always = ["distribution-fixes.sh", "luet-repo.sh", "os-release.sh", "disable-selinux.sh", "finalise-image.sh"];
    expect(scripts({})).toEqual(["apt-packages.sh", "rebuild-initrd.sh", ...always]);
    expect(scripts({ OS_DISTRIBUTION: "opensuse-leap", OS_VERSION: "15.5" })).toEqual(["zypper-packages.sh", "rebuild-initrd.sh", ...always]);
    expect(scripts({ ARCH: "arm64", BASE_IMAGE: "reg/jetson:1" })).toEqual(always);
    expect(scripts({ OS_DISTRIBUTION: "rhel", BASE_IMAGE: "reg/rhel:8" })).toEqual(always);
    expect(scripts({ DISABLE_SELINUX: "false" })).not.toContain("disable-selinux.sh");
    // UPDATE_KERNEL is the scripts' to read: it reaches them as a build arg.
    expect(evaluate({ UPDATE_KERNEL: "true" }).vars["UPDATE_KERNEL"]).toBe("true");
  });

  it("hands the luet credentials and the os-release template to their steps, and the Jetson mount config to Orin images", () => {
    expect(target("base-image").copies.find((c) => c.sources.includes("spectro-luet-auth.yaml"))?.ifExists).toBe(true);
    const jetson = (values: Record<string, string>): boolean => evaluate(values).copies.some((c) => c.dest === "/system/oem/mount.yaml");
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
    expect(iso.runs.map((r) => r.command)).toEqual(["/canvos-steps/build-iso.sh /build/image /overlay /iso"]);
    const script = readFileSync(join(root, "steps/build-iso.sh"), "utf8");
    expect(script).toContain('/entrypoint.sh --name "$ISO_NAME" build-iso --date=false --overlay-iso "$overlay" "dir:$rootfs" --output "$output/" --arch "$iso_arch"');
    expect(script).toContain('sha256sum "$ISO_NAME.iso" > "$ISO_NAME.iso.sha256"');
    expect(evaluateTarget(model, "iso", {}).froms[0]).toBe("gcr.io/spectro-images-public/osbuilder-tools:v0.7.11");
  });

  it("puts the overlay, user-data, content bundles and the cluster config on the ISO only when present", () => {
    const copies = (values: Record<string, string>): string[] => evaluateTarget(model, "iso", values).copies.map((c) => `${c.sources.join(" ")} -> ${c.dest}`);
    expect(copies({})).toEqual([
      "overlay/files-iso/ -> /overlay/",
      "user-data -> /overlay/config.yaml",
      "content-*/*.zst -> /overlay/opt/spectrocloud/content/",
      "+iso-image-rootfs/rootfs -> /build/image",
      "steps/build-iso.sh -> /canvos-steps/",
    ]);
    expect(copies({ CLUSTERCONFIG: "spc.tgz" })).toContain("spc.tgz -> /overlay/opt/spectrocloud/clusterconfig/spc.tgz");
    for (const copy of target("iso").copies.filter((c) => ["user-data", "content-*/*.zst", "$CLUSTERCONFIG"].includes(c.sources[0] ?? ""))) {
      expect(copy.ifExists, copy.sources[0]).toBe(true);
    }
  });

  it("builds the installer image from base, stylus framework, overlay/files and an optional ui.tar", () => {
    const iso = target("iso-image");
    expect(iso.froms[0]?.ref).toBe("+base-image");
    expect(iso.copies.map((c) => c.sources[0])).toEqual(["+stylus-image/framework", "overlay/files/", "steps/install-ui.sh", "ui.tar"]);
    expect(iso.runs.map((r) => r.command)).toEqual(["/tmp/canvos-steps/install-ui.sh /tmp/canvos-steps/ui.tar", "/tmp/canvos-steps/finalise-image.sh"]);
    expect(readFileSync(join(root, "steps/install-ui.sh"), "utf8")).toContain("/opt/spectrocloud/emc");
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
    expect(target("helper").copies.map((c) => c.sources[0])).toEqual(["+proxy-certs/certs", "steps/trust-certs.sh"]);
    expect(target("helper").runs.map((r) => r.command)).toEqual(["/canvos-steps/trust-certs.sh /canvos-certs"]);
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
      for (const from of t.froms.filter((f) => f.kind === "image" && f.ref !== "scratch")) {
        expect(from.ref, `${t.name}: FROM ${from.ref}`).toMatch(/^\$(SPECTRO_PUB_REPO|KAIROS_BASE_IMAGE_URL)\//);
        // A pin ARG, or a LET chosen among pins (checked by the provider/stylus tests above).
        expect(from.ref, `${t.name}: FROM ${from.ref}`).toMatch(/(:\$[A-Z_]+|\$[a-z_]+)$/);
      }
    }
  });
});
