// A small reader of ISO 9660 images as xorriso writes them: the volume descriptors, the directory
// tree with its Rock Ridge names (or Joliet's, when there is no Rock Ridge), and the El Torito boot
// catalog. It reads only metadata, at the offsets the structures give (ECMA-119, SUSP/RRIP 1.12,
// El Torito 1.0). No npm library reads ISO 9660 and El Torito from a file without loading it whole
// or extracting it; see the README.
import { ImageFormatError, type ByteSource } from "./source.js";

export const SECTOR = 2048;

export interface Extent {
  /** Byte offset in the image. */
  offset: number;
  size: number;
}

export interface IsoEntry {
  /** Relative to the root, `/`-separated, without a leading slash: `boot/grub2/grub.cfg`. */
  path: string;
  isDir: boolean;
  size: number;
  /** A file larger than 4 GiB spans several extents (ISO 9660 level 3). */
  extents: Extent[];
}

export interface BootEntry {
  /** 0x00 x86 BIOS, 0xef UEFI, 0x01 PowerPC, 0x02 Mac. */
  platform: number;
  bootable: boolean;
  /** Byte offset of the boot image in the ISO. */
  offset: number;
  /** In 512-byte sectors, as the catalog says (0 or 1 often means "all of it" for UEFI). */
  sectorCount: number;
}

export interface IsoVolume {
  volumeId: string;
  /** The ISO 9660 file system's own size; appended partitions (an EFI image) come after it. */
  volumeBytes: number;
  /** How file names were read. */
  names: "rockridge" | "joliet" | "iso9660";
  entries: Map<string, IsoEntry>;
  /** Undefined when the image has no El Torito boot record. */
  boot: BootEntry[] | undefined;
}

// Bounds against a broken or hostile image: a loop in the tree, or millions of entries.
const MAX_ENTRIES = 500_000;
const MAX_DEPTH = 64;
const MAX_DIR_BYTES = 64 * 1024 * 1024;

interface RawRecord {
  extent: number;
  size: number;
  flags: number;
  name: Buffer;
  systemUse: Buffer;
}

function trimRight(text: string): string {
  return text.replace(/[\s\0]+$/, "");
}

function parseRecord(buf: Buffer, at: number): RawRecord | undefined {
  const length = buf[at] ?? 0;
  if (length < 34 || at + length > buf.length) return undefined;
  const nameLength = buf[at + 32] ?? 0;
  const suStart = at + 33 + nameLength + (nameLength % 2 === 0 ? 1 : 0);
  return {
    extent: buf.readUInt32LE(at + 2),
    size: buf.readUInt32LE(at + 10),
    flags: buf[at + 25] ?? 0,
    name: buf.subarray(at + 33, at + 33 + nameLength),
    systemUse: suStart < at + length ? buf.subarray(suStart, at + length) : Buffer.alloc(0),
  };
}

/** All records of a directory's extent; records never cross a sector, a 0 length skips to the next. */
function* records(data: Buffer): Generator<RawRecord> {
  let at = 0;
  while (at < data.length) {
    const length = data[at] ?? 0;
    if (length === 0) {
      at = (Math.floor(at / SECTOR) + 1) * SECTOR;
      continue;
    }
    const record = parseRecord(data, at);
    if (record === undefined) return;
    yield record;
    at += length;
  }
}

/** The Rock Ridge name (NM entries, following CE continuation areas), or undefined. */
async function rockRidgeName(source: ByteSource, systemUse: Buffer): Promise<string | undefined> {
  let area: Buffer | undefined = systemUse;
  const parts: Buffer[] = [];
  let found = false;
  for (let hops = 0; area !== undefined && hops < 16; hops++) {
    let next: Buffer | undefined;
    let at = 0;
    while (at + 4 <= area.length) {
      const signature = area.toString("latin1", at, at + 2);
      const length = area[at + 2] ?? 0;
      if (length < 4 || at + length > area.length) break;
      if (signature === "NM" && length >= 5) {
        const flags = area[at + 4] ?? 0;
        // "." and ".." (CURRENT, PARENT) carry no name of their own.
        if ((flags & 0x06) === 0) {
          parts.push(area.subarray(at + 5, at + length));
          found = true;
        }
      } else if (signature === "CE" && length >= 28) {
        const block = area.readUInt32LE(at + 4);
        const offset = area.readUInt32LE(at + 12);
        const size = area.readUInt32LE(at + 20);
        if (size > 0 && size <= SECTOR * 4) next = await source.read(block * SECTOR + offset, size);
      } else if (signature === "ST") {
        break;
      }
      at += length;
    }
    area = next;
  }
  return found ? Buffer.concat(parts).toString("utf8") : undefined;
}

function hasSusp(systemUse: Buffer): boolean {
  return systemUse.length >= 7 && systemUse.toString("latin1", 0, 2) === "SP" && systemUse[4] === 0xbe && systemUse[5] === 0xef;
}

function plainName(name: Buffer, joliet: boolean): string {
  // Joliet names are UCS-2, big-endian.
  let text = joliet ? Buffer.from(name.subarray(0, name.length - (name.length % 2))).swap16().toString("utf16le") : name.toString("latin1");
  text = text.replace(/;\d+$/, "");
  if (!joliet) text = text.replace(/\.$/, "");
  return text;
}

async function walk(source: ByteSource, rootExtent: number, rootSize: number, names: IsoVolume["names"]): Promise<Map<string, IsoEntry>> {
  const entries = new Map<string, IsoEntry>();
  const seen = new Set<number>();
  const queue: { extent: number; size: number; path: string; depth: number }[] = [{ extent: rootExtent, size: rootSize, path: "", depth: 0 }];
  while (queue.length > 0) {
    const dir = queue.shift();
    if (dir === undefined) break;
    if (seen.has(dir.extent) || dir.depth > MAX_DEPTH) continue;
    seen.add(dir.extent);
    if (dir.size > MAX_DIR_BYTES) throw new ImageFormatError(`a directory of ${dir.size} bytes at sector ${dir.extent}: not a sane ISO 9660 image`);
    const data = await source.read(dir.extent * SECTOR, dir.size);
    let pending: IsoEntry | undefined;
    for (const record of records(data)) {
      // "." and "..": the names 0x00 and 0x01.
      if (record.name.length === 1 && (record.name[0] === 0 || record.name[0] === 1)) continue;
      const isDir = (record.flags & 0x02) !== 0;
      let name = names === "rockridge" ? await rockRidgeName(source, record.systemUse) : undefined;
      name ??= plainName(record.name, names === "joliet");
      const path = dir.path === "" ? name : `${dir.path}/${name}`;
      const extent: Extent = { offset: record.extent * SECTOR, size: record.size };
      if (pending !== undefined && pending.path === path) {
        // The next part of a multi-extent file.
        pending.extents.push(extent);
        pending.size += record.size;
      } else {
        pending = { path, isDir, size: record.size, extents: [extent] };
        entries.set(path, pending);
        if (entries.size > MAX_ENTRIES) throw new ImageFormatError(`more than ${MAX_ENTRIES} files: not a sane installer ISO`);
        if (isDir) queue.push({ extent: record.extent, size: record.size, path, depth: dir.depth + 1 });
      }
      // Only a record flagged "more extents follow" continues into the next one.
      if ((record.flags & 0x80) === 0) pending = undefined;
    }
  }
  return entries;
}

/** El Torito: the validation entry, the initial entry, then sections of further entries. */
export function parseBootCatalog(catalog: Buffer): BootEntry[] {
  if (catalog.length < 64 || catalog[0] !== 0x01 || catalog[30] !== 0x55 || catalog[31] !== 0xaa) {
    throw new ImageFormatError("the El Torito boot catalog has no valid validation entry");
  }
  const entry = (at: number, platform: number): BootEntry => ({
    platform,
    bootable: catalog[at] === 0x88,
    sectorCount: catalog.readUInt16LE(at + 6),
    offset: catalog.readUInt32LE(at + 8) * SECTOR,
  });
  const entries = [entry(32, catalog[1] ?? 0)];
  let at = 64;
  while (at + 32 <= catalog.length) {
    const header = catalog[at] ?? 0;
    if (header !== 0x90 && header !== 0x91) break;
    const platform = catalog[at + 1] ?? 0;
    const count = catalog.readUInt16LE(at + 2);
    at += 32;
    for (let n = 0; n < count && at + 32 <= catalog.length; n++) {
      // Extension records (0x44) belong to the entry before them.
      while (catalog[at] === 0x44 && at + 32 <= catalog.length) at += 32;
      entries.push(entry(at, platform));
      at += 32;
    }
    if (header === 0x91) break;
  }
  return entries;
}

export async function readIso(source: ByteSource): Promise<IsoVolume> {
  let primary: Buffer | undefined;
  let joliet: Buffer | undefined;
  let catalogSector: number | undefined;
  for (let sector = 16; sector < 16 + 64; sector++) {
    if ((sector + 1) * SECTOR > source.size) break;
    const vd = await source.read(sector * SECTOR, SECTOR);
    if (vd.toString("latin1", 1, 6) !== "CD001") {
      if (sector === 16) throw new ImageFormatError("no ISO 9660 volume descriptor at sector 16 (not an ISO image)");
      break;
    }
    const type = vd[0];
    if (type === 255) break;
    if (type === 1 && primary === undefined) primary = vd;
    else if (type === 2 && /^%\/[@CE]/.test(vd.toString("latin1", 88, 91))) joliet ??= vd;
    else if (type === 0 && vd.toString("latin1", 7, 39).startsWith("EL TORITO SPECIFICATION")) catalogSector = vd.readUInt32LE(71);
  }
  if (primary === undefined) throw new ImageFormatError("no primary volume descriptor (not an ISO 9660 image)");
  const root = parseRecord(primary, 156);
  if (root === undefined) throw new ImageFormatError("the primary volume descriptor has no root directory record");
  const volumeId = trimRight(primary.toString("latin1", 40, 72));
  const volumeBytes = primary.readUInt32LE(80) * primary.readUInt16LE(128);

  // Rock Ridge announces itself with SUSP's SP entry in the root's "." record.
  const rootData = await source.read(root.extent * SECTOR, Math.min(root.size, SECTOR));
  const first = records(rootData).next();
  const rockRidge = first.done !== true && hasSusp(first.value.systemUse);
  let entries: Map<string, IsoEntry>;
  let names: IsoVolume["names"];
  const jolietRoot = joliet !== undefined ? parseRecord(joliet, 156) : undefined;
  if (rockRidge) {
    names = "rockridge";
    entries = await walk(source, root.extent, root.size, names);
  } else if (jolietRoot !== undefined) {
    names = "joliet";
    entries = await walk(source, jolietRoot.extent, jolietRoot.size, names);
  } else {
    names = "iso9660";
    entries = await walk(source, root.extent, root.size, names);
  }
  const boot = catalogSector === undefined ? undefined : parseBootCatalog(await source.read(catalogSector * SECTOR, SECTOR));
  return { volumeId, volumeBytes, names, entries, boot };
}

/** The entry at `path`: exactly, else ignoring case (plain ISO 9660 names are upper case). */
export function findEntry(volume: IsoVolume, path: string): IsoEntry | undefined {
  const exact = volume.entries.get(path);
  if (exact !== undefined || volume.names !== "iso9660") return exact;
  const lower = path.toLowerCase();
  for (const [key, entry] of volume.entries) if (key.toLowerCase() === lower) return entry;
  return undefined;
}

/** The first `length` bytes of a file (all of it when shorter). */
export async function readHead(source: ByteSource, entry: IsoEntry, length: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let left = Math.min(length, entry.size);
  for (const extent of entry.extents) {
    if (left <= 0) break;
    const take = Math.min(left, extent.size);
    parts.push(await source.read(extent.offset, take));
    left -= take;
  }
  return Buffer.concat(parts);
}
