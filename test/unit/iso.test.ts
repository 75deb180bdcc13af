// The ISO reader and the installer checks, against ISOs made by xorriso, mkfs.vfat/mcopy and
// mksquashfs in osbuilder's layout: good ones and each way a real build goes wrong.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readFat } from "../../src/iso/fat.js";
import { findEntry, readHead, readIso } from "../../src/iso/iso9660.js";
import { FileSource, SliceSource } from "../../src/iso/source.js";
import { peArchitecture } from "../../src/iso/pe.js";
import { checkIso } from "../../src/verify/iso.js";
import { isoExpectation } from "../../src/verify/iso-expect.js";
import { sha256File } from "../../src/verify/hash.js";
import { workspace } from "../support/cli.js";
import { assembleOverlay, fakeEfiProgram, ISO_TOOLS, makeInstallerIso } from "../support/make-iso.mjs";
import { missingTools, requireService } from "../support/services.js";

// The ISOs are made by the tools osbuilder uses (mmd too, for one FAT image made by hand).
const TOOLS = { ...ISO_TOOLS, mmd: "mtools" };
const ready = requireService("the ISO tools", missingTools(Object.keys(TOOLS)).length === 0, `apt-get install ${[...new Set(Object.values(TOOLS))].join(" ")} (.ci/run does)`);

const GRUB = "menuentry x {\n  linux ($root)/boot/kernel cdroot root=live:CDLABEL=COS_LIVE rd.live.dir=/ rd.live.squashimg=rootfs.squashfs\n}\n";

/** A workspace as a user has it: the overlay, user-data, a cluster definition, two content bundles. */
function userWorkspace(): string {
  const cwd = workspace("canvos-iso-");
  mkdirSync(join(cwd, "overlay/files-iso/boot/grub2"), { recursive: true });
  writeFileSync(join(cwd, "overlay/files-iso/boot/grub2/grub.cfg"), GRUB);
  writeFileSync(join(cwd, "user-data"), "#cloud-config\nstylus:\n  site:\n    edgeHostToken: real\n");
  writeFileSync(join(cwd, "spc.tgz"), Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]));
  mkdirSync(join(cwd, "content-a1b2"));
  writeFileSync(join(cwd, "content-a1b2/core-content-with-a-name-longer-than-iso-level-one-allows.zst"), "bundle one\n".repeat(1000));
  writeFileSync(join(cwd, "content-a1b2/second.zst"), "bundle two\n");
  return cwd;
}

function buildIso(cwd: string, options: Parameters<typeof makeInstallerIso>[0] extends infer O ? Partial<O> : never = {}, change?: (tree: string) => void): string {
  const tree = join(cwd, ".tree");
  assembleOverlay(cwd, { CLUSTERCONFIG: "spc.tgz" }, tree);
  change?.(tree);
  const out = join(cwd, "build", "installer.iso");
  makeInstallerIso({ out, tree, ...options });
  rmSync(tree, { recursive: true, force: true });
  return out;
}

const config = { ARCH: "amd64", CLUSTERCONFIG: "spc.tgz" };

async function problemsOf(iso: string, cwd: string, cfg: { ARCH: string; CLUSTERCONFIG: string } = config): Promise<string[]> {
  return (await checkIso(iso, await isoExpectation(cfg, cwd))).problems;
}

describe.skipIf(!ready)("the ISO 9660 reader", () => {
  it("reads xorriso's volume label, Rock Ridge names, file extents and El Torito entries", async () => {
    const cwd = userWorkspace();
    const iso = buildIso(cwd);
    const source = await FileSource.open(iso);
    try {
      const volume = await readIso(source);
      expect(volume.volumeId).toBe("COS_LIVE");
      expect(volume.names).toBe("rockridge");
      const bundle = findEntry(volume, "opt/spectrocloud/content/core-content-with-a-name-longer-than-iso-level-one-allows.zst");
      expect(bundle?.size).toBe(11_000);
      expect((await readHead(source, bundle!, 11)).toString()).toBe("bundle one\n");
      expect(findEntry(volume, "boot/grub2")?.isDir).toBe(true);
      // The same listing xorriso itself gives.
      const listed = spawnSync("xorriso", ["-indev", iso, "-find", "/", "-type", "f"], { encoding: "utf8" }).stdout.split("\n").filter((l) => l.startsWith("'")).map((l) => l.slice(2, -1));
      const ours = [...volume.entries.values()].filter((e) => !e.isDir).map((e) => e.path);
      expect(ours.sort()).toEqual(listed.sort());
      expect(volume.boot?.map((b) => b.platform)).toEqual([0x00, 0xef]);
      const efi = volume.boot?.[1];
      // The UEFI entry names the appended partition, beyond the ISO 9660 tree.
      expect(efi!.offset).toBeGreaterThanOrEqual(volume.volumeBytes);
      const fat = await readFat(new SliceSource(source, efi!.offset, source.size - efi!.offset));
      expect(fat.label).toBe("COS_GRUB");
      expect(fat.type).toBe(12);
      const loader = await fat.lookup("EFI/BOOT/BOOTX64.EFI");
      expect(loader?.size).toBe(1024);
      expect(peArchitecture(await fat.readHead(loader!, 4096))).toBe("amd64");
    } finally {
      await source.close();
    }
  });

  it("reads Joliet names when the ISO has no Rock Ridge", async () => {
    const cwd = workspace("canvos-iso-");
    const root = join(cwd, "root");
    mkdirSync(join(root, "deep/er"), { recursive: true });
    writeFileSync(join(root, "deep/er/a-long-file-name.yaml"), "x");
    const iso = join(cwd, "j.iso");
    const r = spawnSync("xorriso", ["-volid", "J", "-rockridge", "off", "-joliet", "on", "-outdev", iso, "-map", root, "/"], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const source = await FileSource.open(iso);
    try {
      const volume = await readIso(source);
      expect(volume.names).toBe("joliet");
      expect(findEntry(volume, "deep/er/a-long-file-name.yaml")?.size).toBe(1);
      expect(volume.boot).toBeUndefined();
    } finally {
      await source.close();
    }
  });

  it("reads FAT16 and long names as mkfs.vfat and mcopy write them", async () => {
    const cwd = workspace("canvos-fat-");
    const img = join(cwd, "fat.img");
    spawnSync("mkfs.vfat", ["-C", "-F", "16", "-n", "EFI", img, "32768"]);
    writeFileSync(join(cwd, "Some Long Name.efi"), fakeEfiProgram("arm64"));
    spawnSync("mmd", ["-i", img, "::EFI", "::EFI/BOOT"]);
    const r = spawnSync("mcopy", ["-i", img, join(cwd, "Some Long Name.efi"), "::EFI/BOOT/"], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const source = await FileSource.open(img);
    try {
      const fat = await readFat(source);
      expect(fat.type).toBe(16);
      const entry = await fat.lookup("efi/boot/some long name.EFI");
      expect(entry?.name).toBe("Some Long Name.efi");
      expect(peArchitecture(await fat.readHead(entry!, 4096))).toBe("arm64");
    } finally {
      await source.close();
    }
  });

  it("says plainly that a file is no ISO", async () => {
    const cwd = workspace("canvos-iso-");
    const file = join(cwd, "not.iso");
    writeFileSync(file, Buffer.alloc(64 * 1024));
    expect(await problemsOf(file, cwd)).toEqual([expect.stringContaining("is not an ISO 9660 image: no ISO 9660 volume descriptor at sector 16")]);
  });
});

describe.skipIf(!ready)("the installer ISO checks", () => {
  it("a good ISO: no problems, and the hash is the file's", async () => {
    const cwd = userWorkspace();
    const iso = buildIso(cwd);
    const report = await checkIso(iso, await isoExpectation(config, cwd));
    expect(report.problems).toEqual([]);
    expect(report.sha256).toBe(await sha256File(iso));
    expect(report.facts).toMatchObject({ volumeId: "COS_LIVE", efiLoader: "EFI/BOOT/BOOTX64.EFI (amd64)" });
  });

  it("an arm64 ISO passes for arm64 and fails for amd64", async () => {
    const cwd = userWorkspace();
    const iso = buildIso(cwd, { arch: "arm64" });
    expect(await problemsOf(iso, cwd, { ...config, ARCH: "arm64" })).toEqual([]);
    expect(await problemsOf(iso, cwd)).toEqual(["its EFI boot image has no EFI/BOOT/BOOTX64.EFI, the loader UEFI firmware starts on amd64 (it has BOOTAA64.EFI: the loader of another architecture)"]);
  });

  it("no EFI loader, or no UEFI entry at all", async () => {
    const cwd = userWorkspace();
    expect(await problemsOf(buildIso(cwd, { loaderName: null }), cwd)).toEqual(["its EFI boot image has no EFI/BOOT/BOOTX64.EFI, the loader UEFI firmware starts on amd64"]);
    expect(await problemsOf(buildIso(cwd, { efi: false }), cwd)).toEqual(["has no UEFI entry in its El Torito boot catalog (entries: BIOS): UEFI firmware cannot boot it"]);
  });

  it("the right name, the wrong architecture's program", async () => {
    const cwd = userWorkspace();
    const iso = buildIso(cwd, { efiArch: "arm64", loaderName: "BOOTX64.EFI" });
    expect(await problemsOf(iso, cwd)).toEqual(["its EFI loader EFI/BOOT/BOOTX64.EFI is built for arm64, not amd64: firmware on amd64 cannot run it"]);
  });

  it("a volume label grub.cfg does not boot", async () => {
    const cwd = userWorkspace();
    expect(await problemsOf(buildIso(cwd, { label: "COS_LIVE_2" }), cwd)).toEqual([
      'its volume label is "COS_LIVE_2", but boot/grub2/grub.cfg boots root=live:CDLABEL=COS_LIVE: the installer would not find its root file system',
    ]);
  });

  it("a grub.cfg that is not the project's, and no root file system", async () => {
    const cwd = userWorkspace();
    const iso = buildIso(cwd, { rootfs: false }, (tree) => writeFileSync(join(tree, "boot/grub2/grub.cfg"), GRUB.replace("rd.live.dir=/", "rd.live.dir=/x")));
    const problems = await problemsOf(iso, cwd);
    expect(problems).toContain("has no /rootfs.squashfs, the root file system osbuilder writes");
    expect(problems).toContainEqual(expect.stringMatching(/^\/boot\/grub2\/grub.cfg differs from overlay\/files-iso\/boot\/grub2\/grub.cfg: \d+ bytes on the ISO, \d+ in the workspace$/));
    expect(problems).toHaveLength(2);
  });

  it("missing or different config.yaml, spc.tgz and content bundle", async () => {
    const cwd = userWorkspace();
    const iso = buildIso(cwd, {}, (tree) => {
      // Same size, other bytes: only the hash tells.
      writeFileSync(join(tree, "config.yaml"), "#cloud-config\nstylus:\n  site:\n    edgeHostToken: fake\n");
      for (const f of ["opt/spectrocloud/clusterconfig/spc.tgz", "opt/spectrocloud/content/second.zst"]) rmSync(join(tree, f));
    });
    const problems = await problemsOf(iso, cwd);
    expect(problems).toHaveLength(3);
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^\/config\.yaml differs from user-data \(sha256 [0-9a-f]{12}… on the ISO, [0-9a-f]{12}… in the workspace\)$/),
      "has no /opt/spectrocloud/clusterconfig/spc.tgz (CLUSTERCONFIG (spc.tgz) should be there)",
      "has no /opt/spectrocloud/content/second.zst (the content bundle content-a1b2/second.zst should be there)",
    ]));
  });

  it("config.yaml on the ISO when the workspace has no user-data", async () => {
    const cwd = userWorkspace();
    const iso = buildIso(cwd);
    rmSync(join(cwd, "user-data"));
    expect(await problemsOf(iso, cwd)).toEqual(["has /config.yaml, but the workspace has no user-data: devices would install with settings that are not yours"]);
  });

  it("a multi-extent file (over 4 GiB) is read whole", async () => {
    const cwd = userWorkspace();
    const iso = buildIso(cwd, { rootfsBytes: 4 * 1024 ** 3 + 4096 });
    const source = await FileSource.open(iso);
    try {
      const volume = await readIso(source);
      const rootfs = findEntry(volume, "rootfs.squashfs");
      expect(rootfs?.extents.length).toBeGreaterThan(1);
      expect(rootfs?.size).toBe(4 * 1024 ** 3 + 4096);
    } finally {
      await source.close();
    }
  }, 120_000);
});
