// Booting for real under QEMU (software emulation here: no usable KVM): a tiny ISO that boots a
// Debian kernel, and one that cannot boot.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bootIso, bootPrerequisites } from "../../src/boot/qemu.js";
import { workspace } from "../support/cli.js";
import { bootableIso, bootableIsoMissing, UNBOOTABLE_ISO_TOOLS, unbootableIso } from "../support/boot-iso.js";
import { missingTools, requireService } from "../support/services.js";

const ready = requireService("QEMU with OVMF", bootPrerequisites("amd64", process.env).missing.length === 0, "apt-get install qemu-system-x86 ovmf (see .ci/run)");
const canMakeBootable = ready && requireService("the bootable-ISO toolset", bootableIsoMissing().length === 0, bootableIsoMissing().join("; "));
const canMakeUnbootable = ready && requireService("xorriso", missingTools(UNBOOTABLE_ISO_TOOLS).length === 0, "apt-get install xorriso (.ci/run does)");

describe.skipIf(!ready)("booting an ISO in QEMU", () => {
  it.skipIf(!canMakeBootable)("a bootable ISO shows the kernel's banner on the serial console", async () => {
    const iso = bootableIso(workspace("canvos-boot-"));
    const result = await bootIso(iso, { arch: "amd64", timeoutSeconds: 150, env: process.env });
    expect(result.booted, result.lastLines.join("\n")).toBe(true);
    expect(result.banner).toMatch(/Linux version 6\.\d+/);
  }, 180_000);

  it.skipIf(!canMakeUnbootable)("an ISO that cannot boot fails at the timeout, with the console's last lines", async () => {
    const iso = unbootableIso(workspace("canvos-boot-"));
    const result = await bootIso(iso, { arch: "amd64", timeoutSeconds: 25, env: process.env });
    expect(result.booted).toBe(false);
    expect(result.seconds).toBeGreaterThanOrEqual(25);
    expect(result.seconds).toBeLessThan(40);
    expect(result.lastLines.length).toBeGreaterThan(0);
  }, 60_000);

  it("missing QEMU or firmware is named with the packages", () => {
    // The firmware is named only when this machine lacks it too: CI installs the amd64 one alone.
    const { missing, packages } = bootPrerequisites("arm64", { PATH: "/nonexistent" });
    expect(missing[0]).toBe("qemu-system-aarch64");
    for (const firmware of missing.slice(1)) expect([firmware, existsSync(firmware)]).toEqual([expect.stringMatching(/^\/usr\/share\/AAVMF\//), false]);
    expect(packages).toBe("qemu-system-arm qemu-efi-aarch64");
  });
});
