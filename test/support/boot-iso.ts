// ISOs to boot in QEMU: a tiny bootable one (grub-mkrescue, a Debian kernel, a busybox initramfs
// that prints a line and powers off) and one that cannot boot. The kernel is fetched once with
// `apt-get download` (never installed) and kept in ~/.cache/canvos-test/.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { BUSYBOX_HOW, missingTools, staticBusybox } from "./services.js";

const CACHE = join(process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "canvos-test");
const CACHED_KERNEL = join(CACHE, "kernel", "vmlinuz-amd64");

/** unbootableIso's tools. */
export const UNBOOTABLE_ISO_TOOLS = ["xorriso"];

/** What bootableIso needs and this machine lacks, with how to get it; empty: it can be made. */
export function bootableIsoMissing(): string[] {
  // grub-mkrescue writes with xorriso and mtools; the kernel comes from apt unless it is cached.
  const tools = missingTools(["grub-mkrescue", "xorriso", "mformat", ...(existsSync(CACHED_KERNEL) ? [] : ["apt-get", "apt-cache", "dpkg-deb"])]);
  return [...(tools.length > 0 ? [`${tools.join(", ")}: apt-get install grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools (.ci/run does)`] : []), ...(staticBusybox() === undefined ? [`busybox: ${BUSYBOX_HOW}`] : [])];
}

/** The Debian amd64 kernel linux-image-amd64 depends on, as a file in the cache. */
export function debianKernel(): string {
  const cached = CACHED_KERNEL;
  if (existsSync(cached)) return cached;
  const depends = execFileSync("apt-cache", ["depends", "linux-image-amd64"], { encoding: "utf8" });
  const pkg = /Depends: (linux-image-\S+-amd64)/.exec(depends)?.[1];
  if (pkg === undefined) throw new Error(`apt-cache names no kernel package for linux-image-amd64:\n${depends}`);
  const work = mkdtempSync(join(tmpdir(), "canvos-kernel-"));
  try {
    execFileSync("apt-get", ["download", pkg], { cwd: work, stdio: "pipe" });
    const deb = readdirSync(work).find((f) => f.endsWith(".deb"));
    execFileSync("dpkg-deb", ["-x", join(work, deb ?? ""), join(work, "x")]);
    const kernel = readdirSync(join(work, "x", "boot")).find((f) => f.startsWith("vmlinuz-"));
    mkdirSync(join(CACHE, "kernel"), { recursive: true });
    copyFileSync(join(work, "x", "boot", kernel ?? ""), `${cached}.${process.pid}`);
    renameSync(`${cached}.${process.pid}`, cached);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return cached;
}

/** A newc cpio archive (what the kernel unpacks as its initramfs). */
function cpio(entries: { name: string; mode: number; data?: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  const pad = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4);
  let ino = 1;
  for (const e of [...entries, { name: "TRAILER!!!", mode: 0 }]) {
    const data = e.data ?? Buffer.alloc(0);
    const name = Buffer.from(e.name + "\0");
    const hex = (n: number): string => n.toString(16).padStart(8, "0");
    const header = `070701${hex(ino++)}${hex(e.mode)}${hex(0)}${hex(0)}${hex(1)}${hex(0)}${hex(data.length)}${hex(0)}${hex(0)}${hex(0)}${hex(0)}${hex(name.length)}${hex(0)}`;
    parts.push(Buffer.from(header), name, pad(110 + name.length), data, pad(data.length));
  }
  return Buffer.concat(parts);
}

export const BOOT_LINE = "canvos-test: the initramfs ran";

/** grub-mkrescue's ISO (BIOS and UEFI) booting the Debian kernel into a busybox that prints BOOT_LINE and powers off. */
export function bootableIso(dir: string): string {
  const root = join(dir, "root");
  mkdirSync(join(root, "boot/grub"), { recursive: true });
  copyFileSync(debianKernel(), join(root, "boot/vmlinuz"));
  const busybox = staticBusybox();
  if (busybox === undefined) throw new Error(`no static busybox for the initramfs: ${BUSYBOX_HOW}`);
  const init = `#!/bin/busybox sh\n/bin/busybox echo "${BOOT_LINE}"\n/bin/busybox poweroff -f\n`;
  writeFileSync(
    join(root, "boot/initrd.img"),
    cpio([
      { name: "bin", mode: 0o40755 },
      { name: "bin/busybox", mode: 0o100755, data: readFileSync(busybox) },
      { name: "init", mode: 0o100755, data: Buffer.from(init) },
    ]),
  );
  writeFileSync(join(root, "boot/grub/grub.cfg"), "set timeout=0\nset default=0\nmenuentry test {\n  linux /boot/vmlinuz console=ttyS0 panic=-1\n  initrd /boot/initrd.img\n}\n");
  const iso = join(dir, "bootable.iso");
  execFileSync("grub-mkrescue", ["-o", iso, root], { stdio: "pipe" });
  return iso;
}

/** An ISO 9660 image of plain files: firmware finds nothing to start. */
export function unbootableIso(dir: string): string {
  const root = join(dir, "data");
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, "readme.txt"), "no boot loader here\n");
  const iso = join(dir, "unbootable.iso");
  execFileSync("xorriso", ["-outdev", iso, "-map", root, "/"], { stdio: "pipe" });
  return iso;
}
