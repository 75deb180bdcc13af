// Docker helpers for tests that build real images: a tiny base image made from busybox (no
// registry, no network), builds that report their output on failure, and clean-up of what a test
// made. Whether Docker may be used at all is decided by services.ts (skip locally, fail in CI).
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

import { BUSYBOX_HOW, staticBusybox } from "./services.js";
import { testImageLabelArgs, testRun } from "./temp.js";

export { dockerAvailable, requireService } from "./services.js";
export { BUSYBOX_HOW };

/** The host's static busybox, the whole of makeBusyboxBase's images; undefined: tests that need it skip (services.ts). */
export const BUSYBOX: string | undefined = staticBusybox();

/** A tag no other test run uses, so parallel runs and leftovers never collide; the run's id in it names a leftover's run. */
export function uniqueImageTag(name: string): string {
  return `canvos-test/${name}:${testRun()}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

export interface BusyboxBaseOptions {
  /** `ID=` of /etc/os-release, so distribution detection has something to read. */
  osId?: string;
  /**
   * Install a stand-in `update-ca-certificates` that bundles the local CAs into
   * /etc/ssl/certs/ca-certificates.crt, as the real tool does, and leaves a marker that it ran.
   */
  updateCaStub?: boolean;
}

const UPDATE_CA_STUB = `#!/bin/sh
# Stand-in for ca-certificates' update-ca-certificates (busybox has none): bundle the local CAs.
set -e
mkdir -p /etc/ssl/certs
cat /usr/local/share/ca-certificates/*.crt /etc/pki/trust/anchors/*.crt 2>/dev/null > /etc/ssl/certs/ca-certificates.crt || true
echo ran > /etc/ssl/certs/.update-ca-certificates-ran
`;

/** Imports a root filesystem of busybox and its applets as image `tag`. */
export async function makeBusyboxBase(tag: string, options: BusyboxBaseOptions = {}): Promise<void> {
  if (BUSYBOX === undefined) throw new Error(`no static busybox on this machine: ${BUSYBOX_HOW}`);
  const dir = mkdtempSync(join(tmpdir(), "canvos-busybox-"));
  try {
    const root = join(dir, "rootfs");
    for (const sub of ["bin", "usr/sbin", "etc", "tmp", "root"]) mkdirSync(join(root, sub), { recursive: true });
    copyFileSync(BUSYBOX, join(root, "bin/busybox"));
    chmodSync(join(root, "bin/busybox"), 0o755);
    const { stdout } = await execa(BUSYBOX, ["--list"]);
    for (const applet of stdout.split("\n").map((a) => a.trim())) {
      if (applet === "" || applet === "busybox") continue;
      symlinkSync("busybox", join(root, "bin", applet));
    }
    writeFileSync(join(root, "etc/os-release"), `NAME="canvos test base"\nID=${options.osId ?? "ubuntu"}\n`);
    if (options.updateCaStub) {
      writeFileSync(join(root, "usr/sbin/update-ca-certificates"), UPDATE_CA_STUB);
      chmodSync(join(root, "usr/sbin/update-ca-certificates"), 0o755);
    }
    const archive = join(dir, "rootfs.tar");
    await execa("tar", ["--numeric-owner", "--owner=0", "--group=0", "-C", root, "-cf", archive, "."]);
    await execa("docker", ["import", ...testImageLabelArgs("import"), archive, tag], { timeout: 120_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Debian's docker client (docker.io), which builds with BuildKit itself, as Earthly's FROM
 * DOCKERFILE does; a newer client on PATH without the buildx plugin cannot.
 */
export const BUILDKIT_DOCKER = existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker";

export interface BuildOptions {
  /** The Dockerfile, when it is not `Dockerfile` in the context. */
  file?: string;
  /** BuildKit secrets: id to the file holding the value. */
  secrets?: Record<string, string>;
  /** A deliberate cache kept across runs (no run label, so the end-of-run check leaves it be). */
  cache?: boolean;
}

/** `DOCKER_BUILDKIT=1 docker build`; on failure the error carries the build's whole output. */
export async function dockerBuild(context: string, tag: string, buildArgs: Record<string, string> = {}, options: BuildOptions = {}): Promise<string> {
  const args = [
    "build",
    "--progress=plain",
    "--tag",
    tag,
    ...(options.cache === true ? [] : testImageLabelArgs("build")),
    ...(options.file === undefined ? [] : ["--file", options.file]),
    ...Object.entries(buildArgs).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),
    ...Object.entries(options.secrets ?? {}).flatMap(([id, src]) => ["--secret", `id=${id},src=${src}`]),
    context,
  ];
  const result = await execa(BUILDKIT_DOCKER, args, { all: true, reject: false, timeout: 900_000, env: { DOCKER_BUILDKIT: "1" } });
  if (result.exitCode !== 0) throw new Error(`docker ${args.join(" ")} failed (exit ${String(result.exitCode)}):\n${result.all.slice(-6000)}`);
  return result.all;
}

/** Runs a shell command in a throw-away container of `image`; resolves to its exit code and output. */
export async function dockerRun(image: string, script: string): Promise<{ exitCode: number; stdout: string }> {
  const result = await execa("docker", ["run", "--rm", "--entrypoint", "/bin/sh", image, "-c", script], { reject: false, timeout: 60_000 });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout };
}

/** Removes the images a test made (ignoring those already gone). */
export async function removeImages(tags: readonly string[]): Promise<void> {
  if (tags.length === 0) return;
  await execa("docker", ["rmi", "--force", ...tags], { reject: false, timeout: 120_000 });
}
