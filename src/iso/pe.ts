// Which CPU an EFI application is for: the PE/COFF header's Machine field. A loader with the right
// name but built for the other architecture (osbuilder run for the build host) boots nothing.

const MACHINES: Readonly<Record<number, string>> = {
  0x8664: "amd64",
  0xaa64: "arm64",
  0x014c: "386",
  0x01c4: "arm",
  0x5064: "riscv64",
};

/** Bytes needed to read the header of any ordinary PE file. */
export const PE_HEAD_BYTES = 4096;

/** "amd64", "arm64", ... ; `machine 0x1234` for others; undefined when it is no PE file at all. */
export function peArchitecture(head: Buffer): string | undefined {
  if (head.length < 64 || head.toString("latin1", 0, 2) !== "MZ") return undefined;
  const at = head.readUInt32LE(0x3c);
  if (at + 6 > head.length || head.toString("latin1", at, at + 4) !== "PE\0\0") return undefined;
  const machine = head.readUInt16LE(at + 4);
  return MACHINES[machine] ?? `machine 0x${machine.toString(16).padStart(4, "0")}`;
}
