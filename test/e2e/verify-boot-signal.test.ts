// Ctrl-C while `canvos verify --boot` waits on QEMU: canvos ends QEMU and exits 130 at once,
// leaving no emulator behind (software emulation would otherwise run on for the whole timeout).
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bootPrerequisites } from "../../src/boot/qemu.js";
import { UNBOOTABLE_ISO_TOOLS, unbootableIso } from "../support/boot-iso.js";
import { argWorkspace, canvos, workspace } from "../support/cli.js";
import { missingTools, requireService } from "../support/services.js";
import { waitFor } from "../support/wait.js";

const ready = requireService("QEMU with OVMF", bootPrerequisites("amd64", process.env).missing.length === 0, "apt-get install qemu-system-x86 ovmf (see .ci/run)");
const canMake = ready && requireService("xorriso", missingTools(UNBOOTABLE_ISO_TOOLS).length === 0, "apt-get install xorriso (.ci/run does)");

/** Pids of the processes whose command line names `needle` (the test's own ISO path), and starts with `program`. */
function processesNaming(needle: string, program = ""): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmdline.includes(needle) && cmdline.startsWith(program)) pids.push(Number(entry));
    } catch {
      // Gone between the listing and the read.
    }
  }
  return pids;
}

describe.skipIf(!canMake)("canvos verify --boot and a signal", () => {
  it("Ctrl-C during the boot ends QEMU promptly: exit 130, no qemu left", async () => {
    const cwd = argWorkspace();
    const iso = unbootableIso(workspace("canvos-boot-"));
    const run = canvos(["verify", iso, "--boot", "--boot-timeout", "300"], { cwd });
    // The moment under test: QEMU runs (seen in /proc), and an unbootable ISO keeps it running.
    await waitFor(() => processesNaming(iso, "qemu-system").length > 0, 30_000, "QEMU to start");
    const signalled = Date.now();
    run.kill("SIGINT");
    const r = await run;
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expect(r.exitCode).toBe(130);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(processesNaming(iso)).toEqual([]);
  }, 60_000);
});
