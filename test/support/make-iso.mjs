// Installer ISOs in the layout osbuilder-tools v0.7.11 (elemental-cli v0.3.1) writes, made with
// Debian's xorriso, mtools, dosfstools and squashfs-tools: volume label COS_LIVE, /boot/kernel,
// /boot/initrd, /rootfs.squashfs, /EFI/BOOT/<loader>, the FAT image /boot/uefi.img (label
// COS_GRUB) also appended as partition 2 and named by the El Torito UEFI entry, a BIOS El Torito
// entry first, the boot catalog hidden. Plain JavaScript: the stand-in Earthly uses it as well.
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";

const MACHINE = { amd64: 0x8664, arm64: 0xaa64 };
export const LOADER = { amd64: "BOOTX64.EFI", arm64: "BOOTAA64.EFI" };

/** The tools makeInstallerIso runs, each with its Debian package (tests without them skip or say so). */
export const ISO_TOOLS = { xorriso: "xorriso", mksquashfs: "squashfs-tools", "mkfs.vfat": "dosfstools", mcopy: "mtools" };

// mkfs.vfat lives in /usr/sbin, which a test's minimal PATH may lack.
const TOOL_PATH = `${process.env.PATH ?? "/usr/bin:/bin"}:/usr/sbin:/sbin`;

function run(file, args) {
  const r = spawnSync(file, args, { encoding: "utf8", env: { ...process.env, PATH: TOOL_PATH } });
  if (r.error) throw new Error(`${file}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${file} ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

/** The head of a PE/COFF program for `arch`: what firmware and canvos read to know its CPU. */
export function fakeEfiProgram(arch) {
  const b = Buffer.alloc(1024);
  b.write("MZ", 0, "latin1");
  b.writeUInt32LE(0x80, 0x3c);
  b.write("PE\0\0", 0x80, "latin1");
  b.writeUInt16LE(MACHINE[arch] ?? 0x014c, 0x84);
  return b;
}

/** osbuilder's overlay from a workspace, as the Earthfile's +iso assembles it (facts.md). */
export function assembleOverlay(cwd, args, dest) {
  mkdirSync(dest, { recursive: true });
  const overlay = join(cwd, "overlay", "files-iso");
  if (existsSync(overlay)) cpSync(overlay, dest, { recursive: true });
  if (existsSync(join(cwd, "user-data"))) copyFileSync(join(cwd, "user-data"), join(dest, "config.yaml"));
  for (const dir of readdirSync(cwd).filter((d) => d.startsWith("content-") && statSync(join(cwd, d)).isDirectory())) {
    for (const f of readdirSync(join(cwd, dir)).filter((n) => n.endsWith(".zst"))) {
      mkdirSync(join(dest, "opt/spectrocloud/content"), { recursive: true });
      copyFileSync(join(cwd, dir, f), join(dest, "opt/spectrocloud/content", basename(f)));
    }
  }
  const cluster = args.CLUSTERCONFIG;
  if (cluster && existsSync(resolve(cwd, cluster))) {
    mkdirSync(join(dest, "opt/spectrocloud/clusterconfig"), { recursive: true });
    copyFileSync(resolve(cwd, cluster), join(dest, "opt/spectrocloud/clusterconfig/spc.tgz"));
  }
}

/**
 * Writes `out` from `tree` (the ISO's own files, e.g. the overlay) plus what osbuilder adds.
 * Options break it the ways real builds break: `label`, `efiArch` (the loader's CPU), `loaderName`,
 * `efi: false` (no UEFI entry), `rootfs: false`, `rootfsBytes` (a large root file system, sparse).
 */
export function makeInstallerIso({ out, tree, arch = "amd64", label = "COS_LIVE", efiArch = arch, loaderName = LOADER[efiArch], efi = true, rootfs = true, rootfsBytes = 0 }) {
  const work = mkdtempSync(join(tmpdir(), "canvos-mkiso-"));
  try {
    const root = join(work, "root");
    mkdirSync(root, { recursive: true });
    if (tree && existsSync(tree)) cpSync(tree, root, { recursive: true });
    mkdirSync(join(root, "boot/x86_64/loader"), { recursive: true });
    // osbuilder's own boot menu (its grub2 package), unless the overlay brings one.
    mkdirSync(join(root, "boot/grub2"), { recursive: true });
    if (!existsSync(join(root, "boot/grub2/grub.cfg"))) writeFileSync(join(root, "boot/grub2/grub.cfg"), `menuentry "Kairos" {\n  linux ($root)/boot/kernel cdroot root=live:CDLABEL=COS_LIVE rd.live.dir=/ rd.live.squashimg=rootfs.squashfs\n  initrd ($root)/boot/initrd\n}\n`);
    if (!existsSync(join(root, "boot/kernel"))) writeFileSync(join(root, "boot/kernel"), "kernel\n");
    if (!existsSync(join(root, "boot/initrd"))) writeFileSync(join(root, "boot/initrd"), "initrd\n");
    writeFileSync(join(root, "boot/x86_64/loader/eltorito.img"), Buffer.alloc(2048));
    if (rootfs) {
      if (rootfsBytes > 0) {
        // A squashfs header, then zeros: as large as wanted without making it first.
        const file = join(root, "rootfs.squashfs");
        writeFileSync(file, Buffer.from("hsqs"));
        truncateSync(file, rootfsBytes);
      } else {
        mkdirSync(join(work, "rootfs/etc"), { recursive: true });
        writeFileSync(join(work, "rootfs/etc/os-release"), "NAME=test\n");
        run("mksquashfs", [join(work, "rootfs"), join(root, "rootfs.squashfs"), "-quiet", "-noappend", "-comp", "gzip"]);
      }
    }
    const efiDir = join(work, "efi/EFI/BOOT");
    mkdirSync(efiDir, { recursive: true });
    if (loaderName) writeFileSync(join(efiDir, loaderName.toLowerCase()), fakeEfiProgram(efiArch));
    cpSync(join(work, "efi"), root, { recursive: true });
    const img = join(root, "boot/uefi.img");
    run("mkfs.vfat", ["-C", "-n", "COS_GRUB", img, "4096"]);
    run("mcopy", ["-s", "-i", img, join(work, "efi/EFI"), "::"]);
    mkdirSync(dirname(out), { recursive: true });
    rmSync(out, { force: true });
    const args = ["-volid", label, "-joliet", "on", "-padding", "0", "-outdev", out, "-map", root, "/", "-chmod", "0755", "--"];
    args.push("-boot_image", "grub", "bin_path=/boot/x86_64/loader/eltorito.img", "-boot_image", "any", "cat_path=/boot/x86_64/boot.catalog", "-boot_image", "any", "cat_hidden=on");
    args.push("-boot_image", "any", "platform_id=0x00", "-boot_image", "any", "emul_type=no_emulation", "-boot_image", "any", "load_size=2048");
    if (efi) {
      args.push("-append_partition", "2", "0xef", img, "-boot_image", "any", "next", "-boot_image", "any", "efi_path=--interval:appended_partition_2:all::");
      args.push("-boot_image", "any", "platform_id=0xef", "-boot_image", "any", "emul_type=no_emulation");
    }
    run("xorriso", args);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * An ISO for a workspace without overlay, user-data or bundles, made once per machine and kept
 * (the bench's instant Earthly copies it: making one each run would measure xorriso, not canvos).
 * Returns its path and sha256.
 */
export function templateIso(arch = "amd64") {
  const cache = join(process.env.XDG_CACHE_HOME || join(process.env.HOME || tmpdir(), ".cache"), "canvos-test");
  const dir = join(cache, `template-${arch}`);
  if (!existsSync(join(dir, "sha256"))) {
    // Made aside and renamed whole: parallel first runs never pair one's ISO with another's sum.
    const partial = `${dir}.${process.pid}.partial`;
    mkdirSync(partial, { recursive: true });
    makeInstallerIso({ out: join(partial, "installer.iso"), arch });
    writeFileSync(join(partial, "sha256"), createHash("sha256").update(readFileSync(join(partial, "installer.iso"))).digest("hex"));
    try {
      renameSync(partial, dir);
    } catch {
      rmSync(partial, { recursive: true, force: true });
    }
  }
  return { path: join(dir, "installer.iso"), sha256: readFileSync(join(dir, "sha256"), "utf8").trim() };
}
