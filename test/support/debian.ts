// A real Debian root filesystem as a Docker image, for running the build's apt steps for real:
// made once per machine with mmdebstrap from Debian's mirror and cached (the tarball under
// ~/.cache/canvos-test, the image under a tag named by its contents), so later runs start at once.
// On top of it, a Kairos-like test base: the files Kairos puts where canvos's steps change them,
// and a local apt repository whose kernel is newer than the installed one.
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { mkdtempSync } from "node:fs";
import { execa } from "execa";
import { dockerBuild } from "./docker.js";

const SUITE = "bookworm";
const MIRROR = "http://deb.debian.org/debian";
// What a Kairos Ubuntu image brings that the steps use: a kernel with dracut, grub's tools,
// envsubst, the CA store, curl and openssl.
const PACKAGES = ["linux-image-amd64", "dracut", "grub-common", "ca-certificates", "openssl", "gettext-base", "curl", "apt-utils"];
const KEY = createHash("sha256").update(JSON.stringify([SUITE, MIRROR, PACKAGES])).digest("hex").slice(0, 12);

export const DEBIAN_IMAGE = `canvos-test/debian-rootfs:${SUITE}-${KEY}`;
/** The fake kernel the local repository offers, newer than any Debian kernel. */
export const NEWER_KERNEL = "9.9.9-canvos-amd64";

export function cacheDir(): string {
  const dir = process.env["CANVOS_TEST_CACHE"] ?? join(process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "canvos-test");
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function imageExists(tag: string): Promise<boolean> {
  return (await execa("docker", ["image", "inspect", tag], { reject: false })).exitCode === 0;
}

/** Serialises work across the test files vitest runs side by side (and across runs). */
async function withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  const lock = join(cacheDir(), `${name}.lock`);
  const deadline = Date.now() + 20 * 60_000;
  for (;;) {
    try {
      closeSync(openSync(lock, "wx"));
      break;
    } catch {
      // A lock older than the longest build is a crashed run's.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 15 * 60_000) rmSync(lock, { force: true });
      } catch {
        // gone meanwhile
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** The Debian root filesystem image, made and cached on first use. */
export async function debianImage(): Promise<string> {
  if (await imageExists(DEBIAN_IMAGE)) return DEBIAN_IMAGE;
  return withLock(`debian-${KEY}`, async () => {
    if (await imageExists(DEBIAN_IMAGE)) return DEBIAN_IMAGE;
    const tarball = join(cacheDir(), `debian-${SUITE}-${KEY}.tar`);
    if (!existsSync(tarball)) {
      const partial = `${tarball}.partial`;
      rmSync(partial, { force: true });
      const result = await execa("mmdebstrap", ["--variant=minbase", "--format=tar", `--include=${PACKAGES.join(",")}`, SUITE, partial, MIRROR], { all: true, reject: false, timeout: 20 * 60_000 });
      if (result.exitCode !== 0) throw new Error(`mmdebstrap failed (exit ${String(result.exitCode)}):\n${result.all.slice(-4000)}`);
      renameSync(partial, tarball);
    }
    await execa("docker", ["import", tarball, DEBIAN_IMAGE], { timeout: 10 * 60_000 });
    return DEBIAN_IMAGE;
  });
}

// Kairos's own bootargs.cfg (kairos-io/kairos, overlay/files/etc/cos/bootargs.cfg), as the steps
// find it on Ubuntu and openSUSE images.
export const KAIROS_BOOTARGS = `set kernel=/boot/vmlinuz
if [ -n "$recoverylabel" ]; then
    set kernelcmd="console=tty1 console=ttyS0 root=live:LABEL=$recoverylabel rd.live.dir=/ rd.live.squashimg=$img panic=5 rd.cos.oemlabel=COS_OEM"
else
    set kernelcmd="console=tty1 console=ttyS0 root=LABEL=$label net.ifnames=1 cos-img/filename=$img rd.emergency=reboot rd.shell=0 panic=5 security=selinux rd.cos.oemlabel=COS_OEM selinux=1 fsck.mode=force fsck.repair=yes systemd.crash_reboot=yes"
fi

set initramfs=/boot/initrd
`;

const KAIROS_LIKE_DOCKERFILE = `FROM ${DEBIAN_IMAGE}
# Identity a device must never share, as an image build leaves it.
RUN mkdir -p /etc/ssh /var/lib/dbus /etc/cos \\
    && echo "ssh-host-key" > /etc/ssh/ssh_host_ed25519_key && echo "pub" > /etc/ssh/ssh_host_ed25519_key.pub \\
    && echo 0123456789abcdef0123456789abcdef > /etc/machine-id && cp /etc/machine-id /var/lib/dbus/machine-id \\
    && touch /tmp/left-over && mkdir -p /var/cache/canvos-test && touch /var/cache/canvos-test/blob \\
    && printf 'KAIROS_VERSION="stale"\\n' >> /usr/lib/os-release
COPY bootargs.cfg /etc/cos/bootargs.cfg
# A mirror with a newer kernel: a new linux-image-<version> package, and the linux-image-amd64
# metapackage of a higher version depending on it, as Debian and Ubuntu publish kernel updates.
RUN set -eu; repo=/srv/canvos-kernel-repo; mkdir -p "$repo" /tmp/k/DEBIAN /tmp/m/DEBIAN \\
    && mkdir -p /tmp/k/boot /tmp/k/lib/modules/${NEWER_KERNEL} \\
    && echo "canvos test kernel" > /tmp/k/boot/vmlinuz-${NEWER_KERNEL} \\
    && : > /tmp/k/lib/modules/${NEWER_KERNEL}/modules.order && : > /tmp/k/lib/modules/${NEWER_KERNEL}/modules.builtin \\
    && printf 'Package: linux-image-${NEWER_KERNEL}\\nVersion: 9.9.9-1\\nArchitecture: amd64\\nMaintainer: canvos tests <tests@canvos.invalid>\\nDescription: stand-in for a newer kernel\\n' > /tmp/k/DEBIAN/control \\
    && meta=$(dpkg-query -W -f '\${Version}' linux-image-amd64) \\
    && printf 'Package: linux-image-amd64\\nVersion: %s+canvos1\\nArchitecture: amd64\\nDepends: linux-image-${NEWER_KERNEL}\\nMaintainer: canvos tests <tests@canvos.invalid>\\nDescription: metapackage of the newer kernel\\n' "$meta" > /tmp/m/DEBIAN/control \\
    && dpkg-deb --build /tmp/k "$repo/kernel.deb" >/dev/null && dpkg-deb --build /tmp/m "$repo/meta.deb" >/dev/null \\
    && (cd "$repo" && apt-ftparchive packages . > Packages) \\
    && echo "deb [trusted=yes] file:$repo ./" > /etc/apt/sources.list.d/canvos-kernel.list \\
    && rm -rf /tmp/k /tmp/m
`;

/** The Debian image with Kairos's files and a newer kernel on offer; tagged by its recipe. */
export async function kairosLikeImage(): Promise<string> {
  const base = await debianImage();
  const key = createHash("sha256").update(base).update(KAIROS_LIKE_DOCKERFILE).update(KAIROS_BOOTARGS).digest("hex").slice(0, 12);
  const tag = `canvos-test/kairos-like-debian:${key}`;
  if (await imageExists(tag)) return tag;
  return withLock(`kairos-like-${key}`, async () => {
    if (await imageExists(tag)) return tag;
    const dir = mkdtempSync(join(tmpdir(), "canvos-kairos-like-"));
    try {
      writeFileSync(join(dir, "Dockerfile"), KAIROS_LIKE_DOCKERFILE);
      writeFileSync(join(dir, "bootargs.cfg"), KAIROS_BOOTARGS);
      await dockerBuild(dir, tag, {}, { cache: true });
      return tag;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
