// The QEMU machines an ISO is booted on, and the command line that boots it: data only, so the
// dry run can show the command without loading what runs it (src/boot/qemu.ts).

export interface Machine {
  qemu: string;
  code: string;
  vars: string;
  packages: string;
  args: (iso: string, vars: string) => string[];
}

export const MACHINES: Readonly<Record<string, Machine>> = {
  amd64: {
    qemu: "qemu-system-x86_64",
    code: "/usr/share/OVMF/OVMF_CODE.fd",
    vars: "/usr/share/OVMF/OVMF_VARS.fd",
    packages: "qemu-system-x86 ovmf",
    args: (iso, vars) => ["-machine", "q35", "-m", "1024", "-drive", `if=pflash,format=raw,readonly=on,file=${MACHINES["amd64"]?.code ?? ""}`, "-drive", `if=pflash,format=raw,file=${vars}`, "-cdrom", iso],
  },
  arm64: {
    qemu: "qemu-system-aarch64",
    code: "/usr/share/AAVMF/AAVMF_CODE.fd",
    vars: "/usr/share/AAVMF/AAVMF_VARS.fd",
    packages: "qemu-system-arm qemu-efi-aarch64",
    args: (iso, vars) => [
      "-machine", "virt", "-cpu", "max", "-m", "1024",
      "-drive", `if=pflash,format=raw,readonly=on,file=${MACHINES["arm64"]?.code ?? ""}`, "-drive", `if=pflash,format=raw,file=${vars}`,
      "-drive", `if=none,id=cd,format=raw,media=cdrom,readonly=on,file=${iso}`, "-device", "virtio-scsi-pci", "-device", "scsi-cd,drive=cd",
    ],
  },
};

/** QEMU's arguments for booting `iso` headless, its serial console on stdout, no network, no reboot. */
export function bootArgs(machine: Machine, iso: string, vars: string, accel: string): string[] {
  return ["-accel", accel, ...machine.args(iso, vars), "-display", "none", "-serial", "stdio", "-monitor", "none", "-nic", "none", "-no-reboot"];
}
