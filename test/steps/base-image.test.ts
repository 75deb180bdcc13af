// +base-image run for real on a real Debian root filesystem: the target is evaluated as Earthly
// would (its shell-out in a container, its IF branches), the user's Dockerfile built by BuildKit
// from the context Earthly hands over, then every step after it (steps/*.sh) replayed on the
// result. Stand-ins: a Kairos-like Debian image for the Kairos Ubuntu base (Kairos's bootargs.cfg,
// identity files, and a local apt repository offering a newer kernel); busybox for the alpine-cert
// helper that runs the shell-out. Everything the steps do to the image is asserted file by file.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { evaluateTarget, type Evaluation } from "../../src/earthfile/evaluate.js";
import { readEarthfile } from "../../src/earthfile/reader.js";
import { KAIROS_BOOTARGS, NEWER_KERNEL, kairosLikeImage } from "../support/debian.js";
import { BUSYBOX, BUSYBOX_HOW, dockerAvailable, makeBusyboxBase, removeImages, requireService, uniqueImageTag } from "../support/docker.js";
import { hostTool } from "../support/services.js";
import { buildFromDockerfile, replaySteps, shellOutIn } from "../support/earthfile-run.js";
import { testRun } from "../support/temp.js";
import { makePki, type TestPki } from "../support/tls.js";
import { PROJECT_ROOT, buildDefinitionCopy } from "../support/workspace-copy.js";
import { execa } from "execa";

const model = readEarthfile(readFileSync(join(PROJECT_ROOT, "Earthfile"), "utf8"));
const runDocker = requireService("Docker", dockerAvailable(), "install docker.io and start dockerd (.ci/run does both)");
const runDebian =
  runDocker &&
  requireService("mmdebstrap and openssl", hostTool("mmdebstrap") !== undefined && hostTool("openssl") !== undefined, "apt-get install mmdebstrap openssl (.ci/run does)") &&
  // The alpine-cert helper that runs the shell-out is made of it.
  requireService("busybox", BUSYBOX !== undefined, BUSYBOX_HOW);

const LUET_AUTH = "auth:\n  serveraddress: registry.example.com\n  username: edge\n  password: s3cret\n";

describe.skipIf(!runDebian)("+base-image on a real Debian root filesystem", () => {
  const made: string[] = [];
  const dirs: string[] = [];
  let kairos = "";
  let helper = "";
  let proxyPki: TestPki;
  let folderPki: TestPki;
  let otherPki: TestPki;

  beforeAll(async () => {
    kairos = await kairosLikeImage();
    helper = uniqueImageTag("helper");
    made.push(helper);
    await makeBusyboxBase(helper);
    proxyPki = makePki();
    folderPki = makePki();
    otherPki = makePki();
  }, 1_800_000);

  afterAll(async () => {
    await removeImages(made);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  /** Runs +base-image for `values` in a copy of the build definition holding `files`. */
  const buildBase = async (values: Record<string, string>, files: Record<string, string>): Promise<{ image: string; evaluation: Evaluation }> => {
    const workspace = buildDefinitionCopy(files);
    dirs.push(workspace);
    const evaluation = evaluateTarget(model, "base-image", values, { shellOut: shellOutIn(helper, workspace) });
    expect(evaluation.problems).toEqual([]);
    const at = evaluation.steps.findIndex((s) => s.kind === "from" && s.source === "dockerfile");
    const from = evaluation.steps[at];
    if (from?.kind !== "from") throw new Error("+base-image has no FROM DOCKERFILE");
    const customised = await buildFromDockerfile(model, from, evaluation.vars, workspace, made);
    const image = await replaySteps(customised, evaluation.steps.slice(at + 1), evaluation.vars, workspace, made);
    return { image, evaluation };
  };

  /** Runs `script` in a container of `image`, with `mounts` (host path -> container path). */
  const inImage = async (image: string, script: string, mounts: Record<string, string> = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> => {
    const volumes = Object.entries(mounts).flatMap(([host, inside]) => ["-v", `${host}:${inside}:ro`]);
    const result = await execa("docker", ["run", "--rm", "--network", "none", ...volumes, "--entrypoint", "/bin/sh", image, "-c", script], { reject: false, timeout: 120_000 });
    return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
  };
  const sh = async (image: string, script: string): Promise<string> => {
    const result = await inImage(image, script);
    if (result.exitCode !== 0) throw new Error(`${script}: exit ${result.exitCode}: ${result.stderr}`);
    return result.stdout.trim();
  };

  let held: { image: string; evaluation: Evaluation } | undefined;
  const heldBuild = async (): Promise<{ image: string; evaluation: Evaluation }> => {
    held ??= await buildBase(
      { BASE_IMAGE: kairos, OS_DISTRIBUTION: "ubuntu", OS_VERSION: "22", ARCH: "amd64", PROXY_CERT_PATH: "ca/proxy.pem", IMAGE_REGISTRY: "registry.example.com/edge", IMAGE_REPO: "ubuntu" },
      { "ca/proxy.pem": proxyPki.caPem, "certs/corporate.crt": folderPki.caPem, "certs/README": "not a certificate\n", "spectro-luet-auth.yaml": LUET_AUTH },
    );
    return held;
  };

  it("takes BASE_IMAGE through the shell-out and passes it to the Dockerfile", async () => {
    const { evaluation } = await heldBuild();
    expect(evaluation.vars["base"]).toBe(kairos);
  }, 1_800_000);

  it("holds the kernel by default: the newer kernel on the mirror is not installed, the tools are", async () => {
    const { image } = await heldBuild();
    const holds = (await sh(image, "apt-mark showhold")).split("\n");
    expect(holds).toContain("linux-image-amd64");
    expect(holds.some((h) => /^linux-image-6\.\d+\.\d+-\d+-amd64$/.test(h))).toBe(true);
    expect((await inImage(image, `dpkg-query -W -f '\${Status}' linux-image-${NEWER_KERNEL}`)).stdout).not.toContain("install ok installed");
    for (const tool of ["zstd", "vim", "iputils-ping", "bridge-utils", "curl", "tcpdump", "ethtool"]) {
      expect(await sh(image, `dpkg-query -W -f '\${Status}' ${tool}`), tool).toBe("install ok installed");
    }
    // apt's lists are not shipped.
    expect(await sh(image, "ls /var/lib/apt/lists | grep -v -e '^lock$' -e '^partial$' || true")).toBe("");
  }, 1_800_000);

  it("rebuilds the initrd for the installed kernel and points /boot/initrd and /boot/vmlinuz at it", async () => {
    const { image } = await heldBuild();
    const kernel = await sh(image, "ls /lib/modules | sort -V | tail -n 1");
    expect(kernel).toMatch(/^6\.\d+\.\d+-\d+-amd64$/);
    expect(await sh(image, "readlink /boot/initrd")).toBe(`initrd-${kernel}`);
    expect(await sh(image, "readlink /boot/vmlinuz")).toBe(`vmlinuz-${kernel}`);
    // A real initramfs of that kernel: a cpio archive (gzip-compressed here) that holds its modules.
    const listing = await sh(image, `lsinitrd /boot/initrd-${kernel} 2>/dev/null | grep -c 'lib/modules/${kernel}/' || true`);
    expect(Number(listing)).toBeGreaterThan(10);
    expect(await sh(image, `test -s /lib/modules/${kernel}/modules.dep && echo ok`)).toBe("ok");
  }, 1_800_000);

  it("links grub2-editenv to the image's grub-editenv (Ubuntu)", async () => {
    const { image } = await heldBuild();
    const target = await sh(image, "readlink /usr/bin/grub2-editenv");
    expect(target).toBe(await sh(image, "command -v grub-editenv"));
    expect(await sh(image, "grub2-editenv /tmp/env create && grub2-editenv /tmp/env set a=b && grub2-editenv /tmp/env list")).toBe("a=b");
  }, 1_800_000);

  it("writes the spectro luet repository with the workspace's credentials appended", async () => {
    const { image } = await heldBuild();
    const repo = parse(await sh(image, "cat /etc/luet/repos.conf.d/spectro.yaml")) as Record<string, unknown>;
    expect(repo).toMatchObject({ name: "spectro", type: "docker", enable: true, priority: 1, urls: ["gcr.io/spectro-dev-public/luet-repo"] });
    expect(repo["auth"]).toEqual({ serveraddress: "registry.example.com", username: "edge", password: "s3cret" });
  }, 1_800_000);

  it("gives /etc/os-release Kairos's fields: its own release, the distribution as flavour", async () => {
    const { image } = await heldBuild();
    const text = await sh(image, "cat /etc/os-release");
    const fields = Object.fromEntries(text.split("\n").map((l) => /^([A-Z_]+)="?(.*?)"?$/.exec(l)).filter((m) => m !== null).map((m) => [m[1], m[2]]));
    expect(fields).toMatchObject({
      ID: "debian",
      KAIROS_VERSION: "v2.4.5",
      KAIROS_VERSION_ID: "v2.4.5",
      KAIROS_ID: "ubuntu",
      KAIROS_FLAVOR: "ubuntu",
      KAIROS_VARIANT: "ubuntu",
      KAIROS_NAME: "kairos-core-ubuntu",
      KAIROS_IMAGE_REPO: "registry.example.com/edge/ubuntu",
      KAIROS_IMAGE_LABEL: "ubuntu-22-amd64",
    });
    // The base image's stale KAIROS_ line is gone, and no field appears twice.
    expect(text).not.toContain("stale");
    const names = text.split("\n").map((l) => l.split("=")[0]).filter((n) => n !== "");
    expect(new Set(names).size).toBe(names.length);
  }, 1_800_000);

  it("switches SELinux off in Kairos's boot arguments without touching anything else (DISABLE_SELINUX=true)", async () => {
    const { image } = await heldBuild();
    const args = await sh(image, "cat /etc/cos/bootargs.cfg");
    expect(args).not.toMatch(/security=selinux/);
    expect(args).not.toMatch(/selinux=1/);
    expect(args.trim()).toBe(KAIROS_BOOTARGS.replace("security=selinux ", "").replace("selinux=1", "selinux=0").trim());
  }, 1_800_000);

  it("resets the identity a fleet must not share, and ships no caches or temporary files", async () => {
    const { image } = await heldBuild();
    expect(await sh(image, "ls /etc/ssh | grep -c '^ssh_host_' || true")).toBe("0");
    expect(await sh(image, "stat -c '%s %a' /etc/machine-id")).toBe("0 444");
    expect(await sh(image, "test -e /var/lib/dbus/machine-id && echo present || echo absent")).toBe("absent");
    expect(await sh(image, "ls -A /tmp /var/tmp /var/cache")).toBe("/tmp:\n\n/var/cache:\n\n/var/tmp:");
  }, 1_800_000);

  it("trusts the CA of PROXY_CERT_PATH and of certs/, and no other", async () => {
    const { image } = await heldBuild();
    const verify = async (pki: TestPki): Promise<number> => {
      const dir = buildDefinitionCopy({ "server.pem": pki.serverPem }, "canvos-verify-");
      dirs.push(dir);
      return (await inImage(image, "openssl verify /check/server.pem", { [join(dir, "server.pem")]: "/check/server.pem" })).exitCode;
    };
    expect(await verify(proxyPki)).toBe(0);
    expect(await verify(folderPki)).toBe(0);
    expect(await verify(otherPki)).not.toBe(0);
    expect(await sh(image, "ls /usr/local/share/ca-certificates")).toBe("corporate.crt\nproxy-ca.crt");
  }, 1_800_000);

  it("UPDATE_KERNEL=true installs the newer kernel, and the initrd is rebuilt for it; DISABLE_SELINUX=false leaves the boot arguments", async () => {
    // The tag names a Jetson Orin base (what the Earthfile looks for), and this run.
    const jetsonLike = `canvos-test/kairos-ubuntu:22.04-nvidia-jetson-agx-orin-${testRun()}-${process.pid}`;
    await execa("docker", ["tag", kairos, jetsonLike]);
    made.push(jetsonLike);
    const { image } = await buildBase({ BASE_IMAGE: jetsonLike, OS_DISTRIBUTION: "ubuntu", ARCH: "amd64", UPDATE_KERNEL: "true", DISABLE_SELINUX: "false" }, {});
    expect(await sh(image, "apt-mark showhold")).toBe("");
    expect(await sh(image, `dpkg-query -W -f '\${Status}' linux-image-${NEWER_KERNEL}`)).toBe("install ok installed");
    expect(await sh(image, "readlink /boot/initrd")).toBe(`initrd-${NEWER_KERNEL}`);
    expect(await sh(image, "readlink /boot/vmlinuz")).toBe(`vmlinuz-${NEWER_KERNEL}`);
    expect(await sh(image, `test -s /boot/initrd-${NEWER_KERNEL} && echo ok`)).toBe("ok");
    expect((await sh(image, "cat /etc/cos/bootargs.cfg")).trim()).toBe(KAIROS_BOOTARGS.trim());
    // No luet credentials in the workspace: the repository file has none.
    expect(await sh(image, "cat /etc/luet/repos.conf.d/spectro.yaml")).not.toContain("auth:");
    // A Jetson Orin base gets the mount configuration that keeps its /usr/local visible.
    expect(await sh(image, "cat /system/oem/mount.yaml")).toBe(readFileSync(join(PROJECT_ROOT, "overlay/jetson/mount.yaml"), "utf8").trim());
  }, 1_800_000);
});
