// The Jetson Orin mount configuration (overlay/jetson/mount.yaml) run for real: its commands, in
// the order Kairos runs them at initramfs.before, in a private mount namespace of this machine,
// against a real ext4 partition labelled COS_PERSISTENT on a loop device. Stand-ins, at their own
// boundary only: a tmpfs holding "the image's /usr/local" (the Orin files), and a /dev of the
// namespace's own with the loop device and its by-label link (udev makes that link on a device).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { hostTool, missingTools, requireService } from "../support/services.js";
import { PROJECT_ROOT } from "../support/workspace-copy.js";

interface Stage {
  name?: string;
  if?: string;
  commands?: string[];
  environment?: Record<string, string>;
}

const config = parse(readFileSync(join(PROJECT_ROOT, "overlay/jetson/mount.yaml"), "utf8")) as { stages: Record<string, Stage[]> };
const canMount = process.getuid?.() === 0 && spawnSync("unshare", ["--mount", "true"]).status === 0 && spawnSync("losetup", ["--version"]).status === 0;
const run =
  requireService("loop devices and mount namespaces (root)", canMount, "run the tests as root on a machine with loop devices (CI does)") &&
  requireService("mkfs.ext4", missingTools(["mkfs.ext4"]).length === 0, "apt-get install e2fsprogs (.ci/run does)");

describe("the Jetson mount configuration", () => {
  it("acts before the root filesystem is laid out, and never in recovery mode", () => {
    expect(Object.keys(config.stages)).toEqual(["initramfs.before"]);
    const steps = config.stages["initramfs.before"] ?? [];
    expect(steps).toHaveLength(1);
    expect(steps[0]?.if).toBe('[ ! -f "/run/cos/recovery_mode" ]');
    // Kairos's own layout (COS_PERSISTENT over /usr/local) is what hides the Orin files: not again.
    expect(JSON.stringify(config)).not.toMatch(/COS_PERSISTENT:\/usr\/local/);
  });
});

describe.skipIf(!run)("the Jetson mount configuration, mounted for real", () => {
  const dir = mkdtempSync(join(tmpdir(), "canvos-jetson-"));
  const image = join(dir, "persistent.img");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const commands = (config.stages["initramfs.before"] ?? []).flatMap((s) => [`if ${s.if ?? "true"}; then`, ...(s.commands ?? []), "fi"]).join("\n");

  /** Runs `script` in a private mount namespace with the partition attached; returns its output. */
  const inNamespace = (script: string): string => {
    const loop = execFileSync("losetup", ["--find", "--show", image], { encoding: "utf8" }).trim();
    try {
      const minor = /loop(\d+)$/.exec(loop)?.[1] ?? "0";
      const prelude = [
        "set -eu",
        // A /dev of our own: the host's devtmpfs is shared, the link must not appear there.
        "mount -t tmpfs -o mode=755 canvos-dev /dev",
        "mknod /dev/null c 1 3 && chmod 666 /dev/null",
        `mknod ${loop} b 7 ${minor}`,
        "mkdir -p /dev/disk/by-label",
        `ln -s ${loop} /dev/disk/by-label/COS_PERSISTENT`,
        "mount -t tmpfs canvos-run /run",
        // The image's /usr/local, with the Orin packages in it.
        "mount -t tmpfs canvos-usr-local /usr/local",
        "mkdir -p /usr/local/cuda && echo orin-12.2 > /usr/local/cuda/version.txt",
      ].join("\n");
      const file = join(dir, "script.sh");
      writeFileSync(file, `${prelude}\n${script}\n`);
      return execFileSync("unshare", ["--mount", "--propagation", "private", "sh", file], { encoding: "utf8" });
    } finally {
      execFileSync("losetup", ["--detach", loop]);
    }
  };

  it("keeps the image's /usr/local visible under Kairos's default layout and keeps what the node writes on COS_PERSISTENT", () => {
    execFileSync("truncate", ["-s", "32M", image]);
    execFileSync(hostTool("mkfs.ext4") ?? "mkfs.ext4", ["-q", "-F", "-L", "COS_PERSISTENT", image]);
    const out = inNamespace(
      [
        // Kairos's default: COS_PERSISTENT mounted over /usr/local, hiding the Orin files.
        "mount /dev/disk/by-label/COS_PERSISTENT /usr/local",
        "test ! -e /usr/local/cuda/version.txt && echo hidden",
        commands,
        "cat /usr/local/cuda/version.txt",
        "echo from-the-node > /usr/local/written.txt",
        "cat /run/mount/persistent/local/written.txt",
        "stat -f -c %T /usr/local",
      ].join("\n"),
    );
    expect(out.trim().split("\n")).toEqual(["hidden", "orin-12.2", "from-the-node", "overlayfs"]);
    // After a reboot: the partition holds the node's file in the upper folder, not the image's.
    const after = inNamespace("mkdir -p /mnt/p && mount /dev/disk/by-label/COS_PERSISTENT /mnt/p && cat /mnt/p/local/written.txt && test ! -e /mnt/p/local/cuda && echo clean");
    expect(after.trim().split("\n")).toEqual(["from-the-node", "clean"]);
  });

  // (Where nothing is mounted on /usr/local yet the umount is skipped; that case cannot be staged
  // here, since the stand-in for the image's /usr/local is itself a mount.)
  it("does nothing in recovery mode", () => {
    const recovery = inNamespace(["mount /dev/disk/by-label/COS_PERSISTENT /usr/local", "mkdir -p /run/cos && touch /run/cos/recovery_mode", commands, "stat -f -c %T /usr/local", "test ! -e /run/mount/persistent/local && echo untouched"].join("\n"));
    expect(recovery.trim().split("\n")).toEqual(["ext2/ext3", "untouched"]);
  });
});
