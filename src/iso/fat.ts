// A reader of FAT12/16/32 images (the EFI boot image on an installer ISO, made by mkfs.vfat and
// mcopy): the BPB, directories with their long (VFAT) names, cluster chains. Read only; names are
// compared ignoring case, as FAT does.
import { ImageFormatError, type ByteSource } from "./source.js";

export interface FatEntry {
  name: string;
  isDir: boolean;
  size: number;
  firstCluster: number;
}

export interface FatVolume {
  type: 12 | 16 | 32;
  label: string;
  /** The image's size as its boot sector says. */
  bytes: number;
  lookup(path: string): Promise<FatEntry | undefined>;
  readHead(entry: FatEntry, length: number): Promise<Buffer>;
}

// A FAT larger than this is no EFI boot image (elemental makes them a few MiB).
const MAX_FAT_BYTES = 32 * 1024 * 1024;
const MAX_CHAIN = 1 << 20;

export async function readFat(source: ByteSource): Promise<FatVolume> {
  const boot = await source.read(0, 512);
  if (boot[510] !== 0x55 || boot[511] !== 0xaa) throw new ImageFormatError("no FAT boot sector (the 0x55AA signature is missing)");
  const bytesPerSector = boot.readUInt16LE(11);
  const sectorsPerCluster = boot[13] ?? 0;
  const reserved = boot.readUInt16LE(14);
  const fats = boot[16] ?? 0;
  const rootEntries = boot.readUInt16LE(17);
  const totalSectors = boot.readUInt16LE(19) || boot.readUInt32LE(32);
  const fatSectors = boot.readUInt16LE(22) || boot.readUInt32LE(36);
  if (![512, 1024, 2048, 4096].includes(bytesPerSector) || sectorsPerCluster === 0 || fats === 0 || fatSectors === 0 || totalSectors === 0) {
    throw new ImageFormatError("the FAT boot sector's geometry is not valid");
  }
  const rootDirSectors = Math.ceil((rootEntries * 32) / bytesPerSector);
  const dataStart = (reserved + fats * fatSectors + rootDirSectors) * bytesPerSector;
  const clusterBytes = sectorsPerCluster * bytesPerSector;
  const clusters = Math.floor((totalSectors * bytesPerSector - dataStart) / clusterBytes);
  const type: 12 | 16 | 32 = clusters < 4085 ? 12 : clusters < 65525 ? 16 : 32;
  const fatBytes = fatSectors * bytesPerSector;
  if (fatBytes > MAX_FAT_BYTES) throw new ImageFormatError(`a FAT of ${fatBytes} bytes: not an EFI boot image`);
  const fat = await source.read(reserved * bytesPerSector, fatBytes);
  const labelAt = type === 32 ? 71 : 43;
  const label = boot.toString("latin1", labelAt, labelAt + 11).trim();

  const nextCluster = (cluster: number): number => {
    if (type === 12) {
      const at = Math.floor(cluster * 1.5);
      const pair = fat.readUInt16LE(at);
      return cluster % 2 === 0 ? pair & 0xfff : pair >> 4;
    }
    if (type === 16) return fat.readUInt16LE(cluster * 2);
    return fat.readUInt32LE(cluster * 4) & 0x0fffffff;
  };
  const endOfChain = type === 12 ? 0xff8 : type === 16 ? 0xfff8 : 0x0ffffff8;

  async function readChain(first: number, limit: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let total = 0;
    for (let cluster = first, n = 0; cluster >= 2 && cluster < endOfChain && total < limit; cluster = nextCluster(cluster), n++) {
      if (n > MAX_CHAIN || cluster > clusters + 1) throw new ImageFormatError("a FAT cluster chain runs outside the volume or loops");
      parts.push(await source.read(dataStart + (cluster - 2) * clusterBytes, clusterBytes));
      total += clusterBytes;
    }
    return Buffer.concat(parts).subarray(0, Math.min(limit, total));
  }

  async function listDir(entry: FatEntry | undefined): Promise<FatEntry[]> {
    let data: Buffer;
    if (entry === undefined) {
      data =
        type === 32
          ? await readChain(boot.readUInt32LE(44), MAX_FAT_BYTES)
          : await source.read((reserved + fats * fatSectors) * bytesPerSector, rootDirSectors * bytesPerSector);
    } else {
      data = await readChain(entry.firstCluster, MAX_FAT_BYTES);
    }
    const out: FatEntry[] = [];
    let longName: string[] = [];
    for (let at = 0; at + 32 <= data.length; at += 32) {
      const first = data[at] ?? 0;
      if (first === 0x00) break;
      const attributes = data[at + 11] ?? 0;
      if (first === 0xe5) {
        longName = [];
        continue;
      }
      if (attributes === 0x0f) {
        // A VFAT long-name slot: 13 UCS-2 characters, the last slot first.
        const chars = Buffer.concat([data.subarray(at + 1, at + 11), data.subarray(at + 14, at + 26), data.subarray(at + 28, at + 32)]);
        const part = chars.toString("utf16le").split("\u0000")[0] ?? "";
        if ((first & 0x40) !== 0) longName = [part];
        else longName.unshift(part);
        continue;
      }
      if ((attributes & 0x08) !== 0) {
        longName = [];
        continue;
      }
      const caseBits = data[at + 12] ?? 0;
      let base = data.toString("latin1", at, at + 8).trimEnd();
      let ext = data.toString("latin1", at + 8, at + 11).trimEnd();
      if ((caseBits & 0x08) !== 0) base = base.toLowerCase();
      if ((caseBits & 0x10) !== 0) ext = ext.toLowerCase();
      const shortName = ext === "" ? base : `${base}.${ext}`;
      const name = longName.length > 0 ? longName.join("") : shortName;
      longName = [];
      if (name === "." || name === "..") continue;
      const cluster = (type === 32 ? data.readUInt16LE(at + 20) << 16 : 0) | data.readUInt16LE(at + 26);
      out.push({ name, isDir: (attributes & 0x10) !== 0, size: data.readUInt32LE(at + 28), firstCluster: cluster >>> 0 });
    }
    return out;
  }

  return {
    type,
    label,
    bytes: totalSectors * bytesPerSector,
    async lookup(path) {
      let current: FatEntry | undefined;
      const parts = path.split("/").filter((p) => p !== "");
      for (const [i, part] of parts.entries()) {
        if (current !== undefined && !current.isDir) return undefined;
        const found = (await listDir(current)).find((e) => e.name.toLowerCase() === part.toLowerCase());
        if (found === undefined) return undefined;
        if (i < parts.length - 1 && !found.isDir) return undefined;
        current = found;
      }
      return current;
    },
    async readHead(entry, length) {
      return (await readChain(entry.firstCluster, Math.min(length, entry.size))).subarray(0, Math.min(length, entry.size));
    },
  };
}
