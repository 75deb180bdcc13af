// The image doctor runs to learn whether Docker allows privileged containers. It is made here, not
// pulled: a tar holding one tiny static program that exits 0, fed to `docker import`. So the check
// works offline and behind any registry, and a refusal can only be Docker's.

export const PROBE_IMAGE = "canvos-doctor-probe:1";
export const PROBE_COMMAND = "/true";

/** `exit(0)` as machine code: x86-64 `xor edi,edi; mov eax,60; syscall`; arm64 `mov x0,#0; mov x8,#93; svc #0`. */
const EXIT_CODE: Readonly<Record<string, { machine: number; code: number[] }>> = {
  amd64: { machine: 62, code: [0x31, 0xff, 0xb8, 0x3c, 0x00, 0x00, 0x00, 0x0f, 0x05] },
  arm64: { machine: 183, code: [0x00, 0x00, 0x80, 0xd2, 0xa8, 0x0b, 0x80, 0xd2, 0x01, 0x00, 0x00, 0xd4] },
};

/** A minimal static ELF executable (one LOAD segment, no sections) that exits 0. */
export function exitZeroElf(arch: string): Buffer | undefined {
  const spec = EXIT_CODE[arch];
  if (!spec) return undefined;
  const base = 0x400000n;
  const headerSize = 64 + 56;
  const total = headerSize + spec.code.length;
  const b = Buffer.alloc(total);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0);
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(spec.machine, 18);
  b.writeUInt32LE(1, 20);
  b.writeBigUInt64LE(base + BigInt(headerSize), 24); // entry
  b.writeBigUInt64LE(64n, 32); // program headers right after this header
  b.writeUInt16LE(64, 52);
  b.writeUInt16LE(56, 54);
  b.writeUInt16LE(1, 56);
  const ph = 64;
  b.writeUInt32LE(1, ph); // PT_LOAD
  b.writeUInt32LE(5, ph + 4); // R+X
  b.writeBigUInt64LE(0n, ph + 8);
  b.writeBigUInt64LE(base, ph + 16);
  b.writeBigUInt64LE(base, ph + 24);
  b.writeBigUInt64LE(BigInt(total), ph + 32);
  b.writeBigUInt64LE(BigInt(total), ph + 40);
  b.writeBigUInt64LE(0x1000n, ph + 48);
  b.set(spec.code, headerSize);
  return b;
}

/** A ustar archive of one executable file: all `docker import` needs. */
export function singleFileTar(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const field = (text: string, offset: number, length: number) => header.write(text.slice(0, length), offset, length, "ascii");
  const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, "0");
  field(name, 0, 100);
  field(octal(0o755, 8), 100, 8);
  field(octal(0, 8), 108, 8);
  field(octal(0, 8), 116, 8);
  field(octal(content.length, 12), 124, 12);
  field(octal(0, 12), 136, 12);
  header.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  field("0", 156, 1);
  field("ustar\u000000", 257, 8);
  let sum = 0;
  for (const byte of header) sum += byte;
  field(`${octal(sum, 7)}\u0000 `, 148, 8);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}
