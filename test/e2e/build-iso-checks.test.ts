// After `canvos iso`: the ISO read and checked against the workspace, and only this run's ISO
// accepted. The stand-in Earthly writes real ISOs in osbuilder's layout (test/support/make-iso.mjs).
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canvos, workspace, ROOT } from "../support/cli.js";
import { pathWithFake, writeArg } from "../support/fake-earthly.js";

const ISO = "build/palette-edge-installer.iso";
const GRUB = "menuentry x {\n  linux ($root)/boot/kernel root=live:CDLABEL=COS_LIVE rd.live.dir=/\n}\n";

function setup() {
  const cwd = workspace();
  writeArg(cwd, "CUSTOM_TAG=demo\nOS_DISTRIBUTION=ubuntu\nIMAGE_REPO=$OS_DISTRIBUTION\nCLUSTERCONFIG=spc.tgz\n");
  mkdirSync(join(cwd, "overlay/files-iso/boot/grub2"), { recursive: true });
  writeFileSync(join(cwd, "overlay/files-iso/boot/grub2/grub.cfg"), GRUB);
  writeFileSync(join(cwd, "user-data"), "#cloud-config\nstylus:\n  site:\n    paletteEndpoint: api.example.com\n");
  writeFileSync(join(cwd, "spc.tgz"), Buffer.from([0x1f, 0x8b, 8, 0, 9, 9]));
  mkdirSync(join(cwd, "content-1"));
  writeFileSync(join(cwd, "content-1/core.zst"), "content\n");
  return cwd;
}

const env = (extra: Record<string, string> = {}) => ({ PATH: pathWithFake(), ...extra });

/** An `earthly` that runs the stand-in, then changes what it wrote, as a broken Earthfile or osbuilder would. */
function standInThen(after: string): string {
  const dir = workspace("canvos-bin-");
  writeFileSync(join(dir, "earthly"), `#!/bin/sh\n"${join(ROOT, "test", "bin", "earthly")}" "$@" || exit $?\n[ "$1" = "--version" ] && exit 0\n${after}\n`);
  chmodSync(join(dir, "earthly"), 0o755);
  return join(dir, "earthly");
}

describe("the ISO a build made, checked", () => {
  it("a good build: every check holds", async () => {
    const cwd = setup();
    const r = await canvos(["iso"], { cwd, env: env() });
    expect(r.stderr).toContain("canvos iso succeeded");
    expect(r.exitCode).toBe(0);
  });

  it("user-data changed under the ISO (the ISO carries the old one): exit 1 naming config.yaml", async () => {
    const cwd = setup();
    // Earthly read user-data; the file differs afterwards, as when an old ISO is reused.
    const bin = standInThen(`printf '#cloud-config\\nother: 1\\n' > user-data`);
    const r = await canvos(["iso"], { cwd, env: env({ CANVOS_EARTHLY_BIN: bin }) });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("canvos: Earthly reported success, but an output is missing or wrong");
    expect(r.stderr).toMatch(/ {2}build\/palette-edge-installer\.iso \/config\.yaml differs from user-data: \d+ bytes on the ISO, \d+ in the workspace/);
  });

  it("an ISO without the content bundle and without the overlay's grub.cfg: exit 1 naming each", async () => {
    const cwd = setup();
    // An overlay that lost files on its way to osbuilder (kairos#4283): the ISO is remade without them.
    const bin = standInThen(
      `node -e 'import(process.argv[1]).then((m) => m.makeInstallerIso({ out: "${ISO}" }))' "${join(ROOT, "test/support/make-iso.mjs")}" && sha256sum ${ISO} | sed 's#build/##' > ${ISO}.sha256`,
    );
    const r = await canvos(["iso"], { cwd, env: env({ CANVOS_EARTHLY_BIN: bin }) });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/\/boot\/grub2\/grub\.cfg differs from overlay\/files-iso\/boot\/grub2\/grub\.cfg/);
    expect(r.stderr).toContain("has no /config.yaml (user-data should be there)");
    expect(r.stderr).toContain("has no /opt/spectrocloud/clusterconfig/spc.tgz (CLUSTERCONFIG (spc.tgz) should be there)");
    expect(r.stderr).toContain("has no /opt/spectrocloud/content/core.zst (the content bundle content-1/core.zst should be there)");
  });

  it("an arm64 build whose ISO holds the amd64 loader: exit 1", async () => {
    const cwd = setup();
    const bin = standInThen(
      `node -e 'import(process.argv[1]).then((m) => { const fs = require("node:fs"); const d = fs.mkdtempSync(require("node:path").join(require("node:os").tmpdir(), "t-")); m.assembleOverlay(".", { CLUSTERCONFIG: "spc.tgz" }, d); m.makeInstallerIso({ out: "${ISO}", tree: d, arch: "amd64" }); fs.rmSync(d, { recursive: true }); })' "${join(ROOT, "test/support/make-iso.mjs")}" && sha256sum ${ISO} | sed 's#build/##' > ${ISO}.sha256`,
    );
    // A tag of its own: the arm64 installer image the stand-in loads must not meet other tests' amd64 one.
    const r = await canvos(["iso", "--arch", "arm64", "--base-image", "example.com/arm-base:1", "--tag", `arm-${process.pid}`], { cwd, env: env({ CANVOS_EARTHLY_BIN: bin }) });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("has no EFI/BOOT/BOOTAA64.EFI, the loader UEFI firmware starts on arm64 (it has BOOTX64.EFI: the loader of another architecture)");
  });
});

describe("only this run's ISO passes", () => {
  function withOldIso(cwd: string): Buffer {
    mkdirSync(join(cwd, "build"), { recursive: true });
    const old = Buffer.from("an ISO from yesterday's build");
    writeFileSync(join(cwd, ISO), old);
    writeFileSync(join(cwd, `${ISO}.sha256`), "0".repeat(64) + "  palette-edge-installer.iso\n");
    return old;
  }

  it("Earthly wrote and named nothing: the old ISO does not pass, and it is back in place", async () => {
    const cwd = setup();
    const old = withOldIso(cwd);
    const r = await canvos(["iso"], { cwd, env: env({ FAKE_EARTHLY_ARTIFACTS: "none" }) });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`${ISO} is not in Earthly's output summary (no "Artifact ... output as ${ISO}"): Earthly did not write it in this run`);
    expect(r.stderr).toContain(`${ISO} is missing`);
    expect(readFileSync(join(cwd, ISO))).toEqual(old);
    expect(existsSync(join(cwd, `${ISO}.previous`))).toBe(false);
  });

  it("Earthly wrote the ISO but did not name it: exit 1", async () => {
    const cwd = setup();
    const r = await canvos(["iso"], { cwd, env: env({ FAKE_EARTHLY_ARTIFACTS: "unnamed" }) });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`${ISO} is not in Earthly's output summary`);
    expect(r.stderr).toContain(`${ISO}.sha256 is not in Earthly's output summary`);
  });

  it("a failed build leaves the previous ISO where it was", async () => {
    const cwd = setup();
    const old = withOldIso(cwd);
    const r = await canvos(["iso"], { cwd, env: env({ FAKE_EARTHLY_FAIL: "+iso" }) });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("the build failed in +iso");
    expect(readFileSync(join(cwd, ISO))).toEqual(old);
    expect(existsSync(join(cwd, `${ISO}.previous`))).toBe(false);
  });

  it("a new ISO that fails its checks stays for a look; the previous one is kept beside it", async () => {
    const cwd = setup();
    const old = withOldIso(cwd);
    const r = await canvos(["iso"], { cwd, env: env({ FAKE_EARTHLY_BAD_SHA: "1" }) });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`warning: the previous run's ${ISO}, ${ISO}.sha256 are kept as ${ISO}.previous, ${ISO}.sha256.previous`);
    expect(readFileSync(join(cwd, `${ISO}.previous`))).toEqual(old);
    expect(readFileSync(join(cwd, ISO))).not.toEqual(old);
  });

  it("a successful build replaces the previous ISO and leaves nothing aside", async () => {
    const cwd = setup();
    withOldIso(cwd);
    const r = await canvos(["iso"], { cwd, env: env() });
    expect(r.exitCode).toBe(0);
    expect(existsSync(join(cwd, `${ISO}.previous`))).toBe(false);
    expect(existsSync(join(cwd, `${ISO}.sha256.previous`))).toBe(false);
  });
});

describe("--boot", () => {
  it("without QEMU: exit 3 naming the packages, before Earthly starts", async () => {
    const cwd = setup();
    const record = join(cwd, "..", `${cwd.split("/").pop()}-boot-record.json`);
    // The stand-in Earthly and node, nothing else: no qemu-system-x86_64.
    const bin = workspace("canvos-bin-");
    symlinkSync(process.execPath, join(bin, "node"));
    const r = await canvos(["iso", "--boot"], { cwd, env: { PATH: `${join(ROOT, "test", "bin")}:${bin}`, FAKE_EARTHLY_RECORD: record } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain("canvos: --boot needs qemu-system-x86_64, which this machine lacks");
    expect(r.stderr).toContain("apt-get install qemu-system-x86 ovmf");
    expect(existsSync(record)).toBe(false);
  });

  it.skipIf(!existsSync("/usr/share/OVMF/OVMF_CODE.fd"))("an ISO whose loader is no real program does not boot: exit 1 with the console's last lines", async () => {
    const cwd = setup();
    // The stand-in's ISO passes every layout check, but its EFI loader is only a PE header.
    const r = await canvos(["iso", "--boot", "--boot-timeout", "20"], { cwd, env: env() });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("booting build/palette-edge-installer.iso in QEMU (waiting up to 20 s for the Linux kernel's banner)");
    expect(r.stderr).toContain("canvos: build/palette-edge-installer.iso did not boot: no Linux kernel banner on the serial console within 20 s");
    expect(r.stderr).toMatch(/ {2}last console lines:\n( {4}\| .+\n)+/);
    expect(r.stderr).not.toContain("\u001b");
  }, 60_000);

  it.skipIf(!existsSync("/usr/share/OVMF/OVMF_CODE.fd"))("the dry run's QEMU command is the one the run starts", async () => {
    const cwd = setup();
    // A stand-in QEMU that keeps its arguments and prints a kernel's banner at once.
    const bin = workspace("canvos-qemu-");
    const argvFile = join(bin, "argv.json");
    writeFileSync(join(bin, "qemu-system-x86_64"), `#!/usr/bin/env node\nrequire("node:fs").writeFileSync(${JSON.stringify(argvFile)}, JSON.stringify(process.argv.slice(2)));\nconsole.log("[    0.000000] Linux version 6.1.0-standin");\nsetInterval(() => {}, 1000);\n`);
    chmodSync(join(bin, "qemu-system-x86_64"), 0o755);
    const withQemu = env({ PATH: `${bin}:${pathWithFake()}` });
    const dry = await canvos(["iso", "--boot", "--boot-timeout", "60", "--dry-run", "--json"], { cwd, env: withQemu });
    expect(dry.exitCode, dry.stderr).toBe(0);
    const planned = (JSON.parse(dry.stdout) as { processes: { purpose: string; argv: string[] }[] }).processes.at(-1);
    expect(planned?.purpose).toContain("--boot");
    const r = await canvos(["iso", "--boot", "--boot-timeout", "60"], { cwd, env: withQemu });
    expect(r.exitCode, r.stderr).toBe(0);
    const started = JSON.parse(readFileSync(argvFile, "utf8")) as string[];
    // What is known only then: the accelerator, and the temporary copy of the firmware's variables.
    const known = (argv: readonly string[]) => argv.map((word, i) => (argv[i - 1] === "-accel" ? "<accel>" : word.replace(/file=.*vars\.fd$/, "file=<vars>")));
    expect(known(["qemu-system-x86_64", ...started.map((word) => word.replace(`${cwd}/`, ""))])).toEqual(known(planned?.argv ?? []));
  }, 60_000);

  it("--boot-timeout must be a number of seconds", async () => {
    const cwd = setup();
    const r = await canvos(["iso", "--boot", "--boot-timeout", "soon"], { cwd, env: env() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("--bootTimeout");
  });
});
