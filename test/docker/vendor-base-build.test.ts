// The vendor base definitions really built by BuildKit, through `canvos vendor-base` itself, from
// stand-ins for the vendor OS and the Kairos framework (busybox, with the vendor tools replaced by
// a stub that says, as sha256 prefixes only, what it was handed). Each build must hand its secret
// to the step that needs it, leave it in no layer, in neither `docker history` nor the log nor
// canvos's output, and end with an image canvos's own checks accept and the .arg lines.
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canvos, workspace } from "../support/cli.js";
import { BUILDKIT_DOCKER, BUSYBOX, BUSYBOX_HOW, dockerAvailable, removeImages, requireService, uniqueImageTag } from "../support/docker.js";

const runDocker = requireService("Docker", dockerAvailable(), "install docker.io and start dockerd (.ci/run does both)") && requireService("busybox", BUSYBOX !== undefined, BUSYBOX_HOW);

const hash = (text: string): string => createHash("sha256").update(text).digest("hex").slice(0, 16);

// Says what it ran with, each argument (and each file an argument names) as a hash, never in clear;
// registration leaves state that holds the credential, as the real tools' certificates and tokens
// do, and the matching clean-up removes it: a definition that split them into two steps would
// leave the credential in a layer, where the test looks.
const STUB = `#!/bin/sh
name=\${0##*/}
out="stub $name:"
for a in "$@"; do
    out="$out $(printf %s "$a" | sha256sum | cut -c1-16)"
    if [ -f "$a" ]; then out="$out file:$(sha256sum < "$a" | cut -c1-16)"; fi
done
echo "$out"
state=/etc/canvos-stub-registration
case "$name $1" in
    "subscription-manager register"|"SUSEConnect --regcode") mkdir -p $state; printf '%s\\n' "$@" > $state/credentials ;;
    "pro attach") mkdir -p $state; cat "$3" > $state/credentials ;;
    "subscription-manager clean"|"SUSEConnect --cleanup"|"pro detach") rm -rf $state ;;
esac
exit 0
`;
const TOOLS = ["subscription-manager", "dnf", "uuidgen", "systemctl", "dracut", "depmod", "apt-get", "pro", "SUSEConnect", "zypper"];
const KERNEL = "5.0.0-standin";

async function importTree(tag: string, build: (root: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "canvos-vendor-standin-"));
  try {
    const root = join(dir, "rootfs");
    mkdirSync(root);
    build(root);
    await execa("tar", ["--numeric-owner", "--owner=0", "--group=0", "-C", root, "-cf", join(dir, "rootfs.tar"), "."]);
    await execa("docker", ["import", join(dir, "rootfs.tar"), tag], { timeout: 120_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** busybox, the stubbed vendor tools, a kernel's files where the definitions look for them. */
async function makeVendorStandIn(tag: string): Promise<void> {
  if (BUSYBOX === undefined) throw new Error(`no static busybox: ${BUSYBOX_HOW}`);
  const busybox = BUSYBOX;
  const { stdout } = await execa(busybox, ["--list"]);
  await importTree(tag, (root) => {
    for (const sub of ["bin", "usr/local/bin", "etc", "tmp", "var/cache", "boot", `lib/modules/${KERNEL}`]) mkdirSync(join(root, sub), { recursive: true });
    copyFileSync(busybox, join(root, "bin/busybox"));
    chmodSync(join(root, "bin/busybox"), 0o755);
    for (const applet of stdout.split("\n").map((a) => a.trim())) if (applet !== "" && applet !== "busybox") symlinkSync("busybox", join(root, "bin", applet));
    writeFileSync(join(root, "usr/local/bin/canvos-stub"), STUB, { mode: 0o755 });
    for (const tool of TOOLS) symlinkSync("canvos-stub", join(root, "usr/local/bin", tool));
    writeFileSync(join(root, `boot/vmlinuz-${KERNEL}`), "not a kernel\n");
    mkdirSync(join(root, "etc/dnf"));
    writeFileSync(join(root, "etc/dnf/dnf.conf"), "[main]\n");
    writeFileSync(join(root, "etc/os-release"), 'NAME="vendor stand-in"\nID=standin\n');
  });
}

async function makeFrameworkStandIn(tag: string): Promise<void> {
  await importTree(tag, (root) => {
    mkdirSync(join(root, "etc/kairos"), { recursive: true });
    writeFileSync(join(root, "etc/kairos/framework-standin"), "kairos framework stand-in\n");
  });
}

/** Every file of every layer and config of `image`, as `docker save` writes it, searched for `needle`. */
async function savedImageContains(image: string, needle: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "canvos-vendor-save-"));
  try {
    await execa("docker", ["save", "--output", join(dir, "image.tar"), image], { timeout: 120_000 });
    await execa("tar", ["-C", dir, "-xf", join(dir, "image.tar")]);
    const hits: string[] = [];
    const walk = async (path: string): Promise<void> => {
      for (const entry of readdirSync(path, { withFileTypes: true })) {
        const full = join(path, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.isFile()) {
          // Layers are tars (and may be compressed): their contents are searched, not only their bytes.
          if (readFileSync(full).includes(needle)) hits.push(full);
          else if (entry.name.endsWith(".tar") || /^[0-9a-f]{64}$/.test(entry.name)) {
            const listing = await execa("tar", ["-xOf", full], { reject: false, encoding: "buffer", maxBuffer: 512 * 1024 * 1024 });
            if (listing.exitCode === 0 && Buffer.from(listing.stdout).includes(needle)) hits.push(`${full} (inside)`);
          }
        }
      }
    };
    await walk(dir);
    return hits;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Case {
  flavour: string;
  secrets: Record<string, string>;
  /** The hash the stub must print: the secret reached the step that uses it. */
  proof: (secrets: Record<string, string>) => string;
  arg: string;
}

const CASES: Case[] = [
  { flavour: "rhel8", secrets: { RH_USERNAME: "builder@example.com", RH_PASSWORD: "rh-pass-7Gq2-vendor" }, proof: (s) => hash(s["RH_PASSWORD"] ?? ""), arg: "OS_DISTRIBUTION=rhel\n" },
  { flavour: "rhel8-fips", secrets: { RH_ORG: "org-Vq83afq1", RH_ACTIVATION_KEY: "rh-key-Zp81-vendor" }, proof: (s) => hash(s["RH_ACTIVATION_KEY"] ?? ""), arg: "OS_DISTRIBUTION=rhel\nFIPS_ENABLED=true\n" },
  { flavour: "ubuntu-focal-fips", secrets: { UBUNTU_PRO_TOKEN: "C1ubuntuProTok3nVendor" }, proof: (s) => `file:${hash(`token: ${s["UBUNTU_PRO_TOKEN"] ?? ""}\nenable_services:\n  - fips\n`)}`, arg: "OS_DISTRIBUTION=ubuntu\nOS_VERSION=20\nFIPS_ENABLED=true\n" },
  { flavour: "slem", secrets: { SLE_REGCODE: "SLE-regcode-Q4x9-vendor" }, proof: (s) => hash(s["SLE_REGCODE"] ?? ""), arg: "OS_DISTRIBUTION=sles\nOS_VERSION=5.4\n" },
];

describe.skipIf(!runDocker)("vendor-base definitions built by BuildKit with stand-in vendor images", () => {
  const vendor = uniqueImageTag("vendor-standin");
  const framework = uniqueImageTag("framework-standin");
  const made: string[] = [vendor, framework];

  beforeAll(async () => {
    await makeVendorStandIn(vendor);
    await makeFrameworkStandIn(framework);
  }, 180_000);

  afterAll(async () => {
    await removeImages(made);
  }, 120_000);

  for (const c of CASES) {
    it(`${c.flavour}: the secret reaches its step, and no layer, history, log or output holds it`, async () => {
      const cwd = workspace("canvos-vendor-");
      const image = uniqueImageTag(`vendor-${c.flavour}`);
      made.push(image);
      const result = await canvos(["vendor-base", c.flavour, "--tag", image, "--vendor-image", vendor, "--framework-image", framework, "--docker", BUILDKIT_DOCKER, "--verbose"], { cwd, env: c.secrets });
      expect(result.stderr).not.toMatch(/^\s*at /m);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toBe(`BASE_IMAGE=${image}\n${c.arg}`);

      const logs = readdirSync(join(cwd, "build/logs"));
      expect(logs).toHaveLength(1);
      const log = readFileSync(join(cwd, "build/logs", logs[0] ?? ""), "utf8");
      // The stub saw the secret (as its hash) in the step that registers, then the clean-up ran.
      expect(log).toContain(c.proof(c.secrets));

      const history = await execa("docker", ["history", "--no-trunc", "--format", "{{.CreatedBy}}", image]);
      expect(history.stdout).toContain("KAIROS_VERSION=v2.4.5");
      const inspect = await execa("docker", ["image", "inspect", image]);
      for (const value of Object.values(c.secrets)) {
        expect(history.stdout).not.toContain(value);
        expect(inspect.stdout).not.toContain(value);
        expect(log).not.toContain(value);
        expect(result.stdout + result.stderr).not.toContain(value);
        expect(await savedImageContains(image, value)).toEqual([]);
      }
      // What the framework brought is in, and the registration state is not.
      const files = await execa("docker", ["run", "--rm", "--entrypoint", "/bin/sh", image, "-c", "cat /etc/kairos/framework-standin; ls /etc/canvos-stub-registration 2>&1; readlink /boot/vmlinuz; grep ^KAIROS_FLAVOR= /etc/os-release"], { reject: false });
      expect(files.stdout).toContain("kairos framework stand-in");
      expect(files.stdout).toMatch(/canvos-stub-registration: No such file/);
      expect(files.stdout).toContain(`vmlinuz-${KERNEL}`);
    }, 600_000);
  }

  it("the layer search finds a value that is in a layer (the check can fail)", async () => {
    const probe = uniqueImageTag("vendor-probe");
    made.push(probe);
    const dir = mkdtempSync(join(tmpdir(), "canvos-vendor-probe-"));
    try {
      writeFileSync(join(dir, "Dockerfile"), `FROM ${vendor}\nARG LEAKED\nRUN mkdir -p /etc/leak && echo "$LEAKED" > /etc/leak/value\n`);
      await execa(BUILDKIT_DOCKER, ["build", "--tag", probe, "--build-arg", "LEAKED=leaked-value-Xy12", dir], { env: { DOCKER_BUILDKIT: "1" }, timeout: 300_000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect((await savedImageContains(probe, "leaked-value-Xy12")).length).toBeGreaterThan(0);
    // A build arg shows in the history: the reason credentials never travel as one.
    expect((await execa("docker", ["history", "--no-trunc", "--format", "{{.CreatedBy}}", probe])).stdout).toContain("leaked-value-Xy12");
  }, 300_000);
});
