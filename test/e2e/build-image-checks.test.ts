// After a build canvos checks each planned image where the plan puts it (the local Docker, or the
// registry after --push): linux/$ARCH, and /etc/os-release the planned distribution's Kairos one.
// The stand-in Earthly loads real tiny images (test/bin/earthly); FAKE_EARTHLY_WRONG_IMAGE makes
// them wrong the ways a real build goes wrong. Each test has its own tag, so parallel runs never
// meet; the suite's teardown removes the images the stand-in loaded.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canvos, workspace } from "../support/cli.js";
import { pathWithFake, writeArg } from "../support/fake-earthly.js";
import { dockerAvailable, registryAvailable, requireService, TEST_REGISTRY, uniqueTag } from "../support/services.js";

const docker = dockerAvailable();
const ready = requireService("docker", docker, "start dockerd (see .ci/run)");
const registryReady = requireService("docker and the test registry", docker && (await registryAvailable()), `start dockerd and a registry on ${TEST_REGISTRY} (see .ci/run)`);

function build(command: string[], arg: string, extra: Record<string, string> = {}) {
  const cwd = workspace();
  const tag = uniqueTag("img");
  writeArg(cwd, `CUSTOM_TAG=${tag}\n${arg}`);
  return { cwd, tag, run: () => canvos(command, { cwd, env: { PATH: pathWithFake(), DOCKER_CONFIG: workspace("canvos-dcfg-"), ...extra } }) };
}

function platform(ref: string): string {
  return spawnSync("docker", ["image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", ref], { encoding: "utf8" }).stdout.trim();
}

describe.skipIf(!ready)("image checks after a build", () => {
  it("iso: the installer image is checked in the local Docker and recorded in the manifest", async () => {
    const { cwd, tag, run } = build(["iso"], "ARCH=arm64\nBASE_IMAGE=quay.io/kairos/opensuse:leap-15.6-core-arm64-generic-v3.2.1\nOS_DISTRIBUTION=opensuse-leap\nOS_VERSION=15.6\n");
    const r = await run();
    const ref = `palette-installer-image:v4.3.2-${tag}`;
    expect(r.stderr).toContain(`  ${ref}  (local Docker, checked)`);
    expect(r.exitCode).toBe(0);
    expect(platform(ref)).toBe("linux/arm64");
    const manifest = JSON.parse(readFileSync(join(cwd, "build/canvos-manifest.iso.json"), "utf8")) as { images: unknown[] };
    expect(manifest.images).toEqual([{ ref, pushed: false, checked: "local Docker" }]);
    const log = readFileSync(join(cwd, r.stderr.match(/log: (\S+\.log)/)?.[1] ?? ""), "utf8");
    expect(log).toContain(`# canvos: image ${ref} (local Docker): ok`);
  }, 120_000);

  it("provider: an image for the wrong architecture is exit 1 naming it and both platforms", async () => {
    const { cwd, tag, run } = build(["provider", "--k8s-version", "1.27.2"], "ARCH=amd64\n", { FAKE_EARTHLY_WRONG_IMAGE: "arch" });
    const r = await run();
    const ref = `ttl.sh/ubuntu:k3s-1.27.2-v4.3.2-${tag}`;
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("canvos: Earthly reported success, but an image is not what the configuration builds");
    expect(r.stderr).toContain(`  image ${ref} (local Docker) is for linux/arm64, not linux/amd64`);
    expect(r.stdout).toBe("");
    expect(JSON.parse(readFileSync(join(cwd, "build/canvos-manifest.provider.json"), "utf8"))).toMatchObject({ status: "failed" });
  }, 120_000);

  it("build-all: images of the wrong distribution fail, each named with what its os-release says", async () => {
    const { tag, run } = build(["build-all", "--k8s-version", "1.27.2"], "OS_DISTRIBUTION=ubuntu\n", { FAKE_EARTHLY_WRONG_IMAGE: "flavor" });
    const r = await run();
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("but images are not what the configuration builds");
    for (const ref of [`ttl.sh/ubuntu:k3s-1.27.2-v4.3.2-${tag}`, `palette-installer-image:v4.3.2-${tag}`]) {
      expect(r.stderr).toContain(`  image ${ref} (local Docker) its /etc/os-release says KAIROS_FLAVOR=opensuse-leap, but the configuration builds ubuntu`);
    }
  }, 120_000);

  it("base: an image without /etc/os-release is exit 1", async () => {
    const { tag, run } = build(["base"], "", { FAKE_EARTHLY_WRONG_IMAGE: "no-os-release" });
    const r = await run();
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`  image palette-base-image:v4.3.2-${tag} (local Docker) has no /etc/os-release in its layers`);
  }, 120_000);
});

describe.skipIf(!registryReady)("image checks after --push", () => {
  it("a pushed image for the wrong architecture is found wrong in the registry", async () => {
    const { tag, run } = build(["provider", "--push", "--k8s-version", "1.28.2"], `IMAGE_REGISTRY=${TEST_REGISTRY}\nIMAGE_REPO=canvos-imgcheck\nARCH=arm64\nBASE_IMAGE=quay.io/kairos/ubuntu:22.04-core-arm64-generic-v3.2.1\n`, { FAKE_EARTHLY_WRONG_IMAGE: "arch" });
    const r = await run();
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`  image ${TEST_REGISTRY}/canvos-imgcheck:k3s-1.28.2-v4.3.2-${tag} (registry) is for linux/amd64, not linux/arm64`);
  }, 120_000);
});
