// The installer ISO, checked the way a device will use it: firmware finds the El Torito EFI image
// and its loader for ARCH, grub boots the volume label it names, the installer finds its root
// file system and the user's files. Metadata is read where the ISO's structures point; the file
// itself is read once, start to end, hashing the whole and every file compared on the way.
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { readFat } from "../iso/fat.js";
import { findEntry, readHead, readIso, type IsoEntry, type IsoVolume } from "../iso/iso9660.js";
import { PE_HEAD_BYTES, peArchitecture } from "../iso/pe.js";
import { FileSource, ImageFormatError, SliceSource } from "../iso/source.js";
import { sha256File } from "./hash.js";

/** What the ISO must hold, from the plan and the workspace (src/verify/iso-expect.ts). */
export interface IsoExpectation {
  arch: string;
  /** Files that must be on the ISO, byte for byte the workspace's. */
  files: { isoPath: string; localPath: string; what: string }[];
  /** Files that must not be there (config.yaml without user-data: it would configure devices). */
  absent: { isoPath: string; why: string }[];
}

export interface IsoFacts {
  volumeId: string | undefined;
  /** The EFI loader found, with its architecture: `EFI/BOOT/BOOTX64.EFI (amd64)`. */
  efiLoader: string | undefined;
  files: number;
}

export interface IsoReport {
  size: number;
  sha256: string;
  problems: string[];
  facts: IsoFacts;
}

export const EFI_LOADER: Readonly<Record<string, string>> = { amd64: "BOOTX64.EFI", arm64: "BOOTAA64.EFI" };
/** What osbuilder (elemental-cli v0.3.1) puts on every ISO it makes. */
export const ROOTFS = "rootfs.squashfs";
export const GRUB_CFG = "boot/grub2/grub.cfg";
const KERNEL = "boot/kernel";
const INITRD = "boot/initrd";
const SQUASHFS_MAGIC = "hsqs";
const MAX_GRUB_CFG = 1024 * 1024;

interface RangeHash {
  start: number;
  end: number;
  hash: Hash;
}

/** One pass over [0, size): the whole file's sha256, and each range's on the way. */
async function hashPass(path: string, ranges: RangeHash[], signal: AbortSignal | undefined): Promise<{ sha256: string; size: number }> {
  const whole = createHash("sha256");
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  let position = 0;
  let first = 0;
  for await (const data of createReadStream(path, { highWaterMark: 1024 * 1024, ...(signal ? { signal } : {}) })) {
    const chunk = data as Buffer;
    whole.update(chunk);
    const end = position + chunk.length;
    while (first < sorted.length && (sorted[first]?.end ?? 0) <= position) first++;
    for (let i = first; i < sorted.length; i++) {
      const range = sorted[i];
      if (range === undefined || range.start >= end) break;
      if (range.end <= position) continue;
      range.hash.update(chunk.subarray(Math.max(range.start, position) - position, Math.min(range.end, end) - position));
    }
    position = end;
  }
  return { sha256: whole.digest("hex"), size: position };
}

function describeBoot(volume: IsoVolume): string {
  const platforms = (volume.boot ?? []).map((b) => (b.platform === 0xef ? "UEFI" : b.platform === 0 ? "BIOS" : `platform 0x${b.platform.toString(16)}`));
  return platforms.length > 0 ? platforms.join(", ") : "none";
}

async function checkEfi(source: FileSource, volume: IsoVolume, arch: string, problems: string[]): Promise<string | undefined> {
  const loader = EFI_LOADER[arch] ?? `BOOT${arch.toUpperCase()}.EFI`;
  if (volume.boot === undefined) {
    problems.push("has no El Torito boot catalog: no firmware boots it from a CD or USB stick");
    return undefined;
  }
  const efi = volume.boot.find((b) => b.platform === 0xef);
  if (efi === undefined) {
    problems.push(`has no UEFI entry in its El Torito boot catalog (entries: ${describeBoot(volume)}): UEFI firmware cannot boot it`);
    return undefined;
  }
  let fat;
  try {
    fat = await readFat(new SliceSource(source, efi.offset, source.size - efi.offset));
  } catch (error) {
    if (!(error instanceof ImageFormatError)) throw error;
    problems.push(`its El Torito UEFI boot image (at byte ${efi.offset}) is no FAT file system: ${error.message}`);
    return undefined;
  }
  const path = `EFI/BOOT/${loader}`;
  const entry = await fat.lookup(path);
  if (entry === undefined || entry.isDir) {
    const others = await fat.lookup("EFI/BOOT");
    const present = others?.isDir === true ? Object.values(EFI_LOADER).filter((name) => name !== loader) : [];
    const found: string[] = [];
    for (const name of present) if ((await fat.lookup(`EFI/BOOT/${name}`)) !== undefined) found.push(name);
    problems.push(`its EFI boot image has no ${path}, the loader UEFI firmware starts on ${arch}${found.length > 0 ? ` (it has ${found.join(", ")}: the loader of another architecture)` : ""}`);
    return undefined;
  }
  const machine = peArchitecture(await fat.readHead(entry, PE_HEAD_BYTES));
  if (machine === undefined) {
    problems.push(`its EFI loader ${path} is not an EFI (PE) program`);
    return undefined;
  }
  if (machine !== arch) problems.push(`its EFI loader ${path} is built for ${machine}, not ${arch}: firmware on ${arch} cannot run it`);
  return `${path} (${machine})`;
}

async function checkLabel(source: FileSource, volume: IsoVolume, problems: string[]): Promise<void> {
  const grub = findEntry(volume, GRUB_CFG);
  if (grub === undefined || grub.isDir) {
    problems.push(`has no ${GRUB_CFG}: the installer's boot menu is missing`);
    return;
  }
  const text = (await readHead(source, grub, MAX_GRUB_CFG)).toString("utf8");
  const labels = [...new Set([...text.matchAll(/CDLABEL=([^\s"']+)/g)].map((m) => m[1] ?? ""))];
  if (labels.length === 0) {
    problems.push(`${GRUB_CFG} names no root=live:CDLABEL=...: the installer would not find its root file system`);
    return;
  }
  for (const label of labels) {
    if (label !== volume.volumeId) problems.push(`its volume label is "${volume.volumeId}", but ${GRUB_CFG} boots root=live:CDLABEL=${label}: the installer would not find its root file system`);
  }
}

async function checkLayout(source: FileSource, volume: IsoVolume, problems: string[]): Promise<void> {
  const rootfs = findEntry(volume, ROOTFS);
  if (rootfs === undefined || rootfs.isDir) problems.push(`has no /${ROOTFS}, the root file system osbuilder writes`);
  else if ((await readHead(source, rootfs, 4)).toString("latin1") !== SQUASHFS_MAGIC) problems.push(`/${ROOTFS} is not a squashfs image`);
  for (const path of [KERNEL, INITRD]) {
    const entry = findEntry(volume, path);
    if (entry === undefined || entry.isDir || entry.size === 0) problems.push(`has no /${path} (grub.cfg loads it)`);
  }
}

/** Checks everything and lists every problem; throws only for a file that cannot be read at all. */
export async function checkIso(path: string, expectation: IsoExpectation, signal?: AbortSignal): Promise<IsoReport> {
  const problems: string[] = [];
  const facts: IsoFacts = { volumeId: undefined, efiLoader: undefined, files: 0 };
  const ranges: RangeHash[] = [];
  const compared: { isoPath: string; what: string; localPath: string; hash: Hash }[] = [];
  const source = await FileSource.open(path);
  try {
    let volume: IsoVolume | undefined;
    try {
      volume = await readIso(source);
    } catch (error) {
      if (!(error instanceof ImageFormatError)) throw error;
      problems.push(`is not an ISO 9660 image: ${error.message}`);
    }
    if (volume !== undefined) {
      facts.volumeId = volume.volumeId;
      facts.files = volume.entries.size;
      await checkLabel(source, volume, problems);
      facts.efiLoader = await checkEfi(source, volume, expectation.arch, problems);
      await checkLayout(source, volume, problems);
      for (const file of expectation.files) {
        const entry: IsoEntry | undefined = findEntry(volume, file.isoPath);
        if (entry === undefined || entry.isDir) {
          problems.push(`has no /${file.isoPath} (${file.what} should be there)`);
          continue;
        }
        const localSize = (await stat(file.localPath)).size;
        if (entry.size !== localSize) {
          problems.push(`/${file.isoPath} differs from ${file.what}: ${entry.size} bytes on the ISO, ${localSize} in the workspace`);
          continue;
        }
        const hash = createHash("sha256");
        for (const extent of entry.extents) ranges.push({ start: extent.offset, end: extent.offset + extent.size, hash });
        compared.push({ isoPath: file.isoPath, what: file.what, localPath: file.localPath, hash });
      }
      for (const file of expectation.absent) if (findEntry(volume, file.isoPath) !== undefined) problems.push(`has /${file.isoPath}, but ${file.why}`);
    }
  } finally {
    await source.close();
  }
  // Locally hashed while the ISO is read; a file changed since the build shows up here too.
  const [whole, ...locals] = await Promise.all([hashPass(path, ranges, signal), ...compared.map((c) => sha256File(c.localPath, signal))]);
  compared.forEach((c, i) => {
    const onIso = c.hash.digest("hex");
    if (onIso !== locals[i]) problems.push(`/${c.isoPath} differs from ${c.what} (sha256 ${onIso.slice(0, 12)}… on the ISO, ${(locals[i] ?? "").slice(0, 12)}… in the workspace)`);
  });
  return { size: whole.size, sha256: whole.sha256, problems, facts };
}
