// The image checks against real images in the live Docker and the test registry, right and wrong.
import { describe, expect, it } from "vitest";
import { checkImage } from "../../src/image/check.js";
import { dockerAvailable, registryAvailable, requireService, TEST_REGISTRY, uniqueTag } from "../support/services.js";
import { KAIROS_RELEASE, loadImage, pushImage } from "../support/images.js";

const ready = requireService("docker and the test registry", dockerAvailable() && (await registryAvailable()), `start dockerd and a registry on ${TEST_REGISTRY} (see .ci/run)`);
const opts = { arch: "amd64", distribution: "ubuntu", env: process.env };

describe.skipIf(!ready)("an image in the local Docker", () => {
  it("Kairos os-release of the planned distribution, for linux/amd64: no problems", async () => {
    const ref = `canvos-test-image:${uniqueTag("ok")}`;
    loadImage(ref, "amd64", [{ files: { "usr/lib/os-release": 'NAME="Ubuntu"\n' } }, { files: { "usr/lib/os-release": KAIROS_RELEASE("ubuntu") }, symlinks: { "etc/os-release": "../usr/lib/os-release" } }]);
    expect(await checkImage(ref, opts)).toEqual({ ref, where: "local Docker", problems: [] });
  });

  it("missing, the wrong architecture, the wrong distribution, no Kairos fields", async () => {
    const missing = `canvos-test-image:${uniqueTag("none")}`;
    expect((await checkImage(missing, opts)).problems).toEqual(["is not in the local Docker"]);

    const arm = `canvos-test-image:${uniqueTag("arm")}`;
    loadImage(arm, "arm64", [{ files: { "etc/os-release": KAIROS_RELEASE("ubuntu") } }]);
    expect((await checkImage(arm, opts)).problems).toEqual(["is for linux/arm64, not linux/amd64"]);

    const suse = `canvos-test-image:${uniqueTag("suse")}`;
    loadImage(suse, "amd64", [{ files: { "etc/os-release": KAIROS_RELEASE("opensuse-leap") } }]);
    expect((await checkImage(suse, opts)).problems).toEqual([
      "its /etc/os-release says KAIROS_FLAVOR=opensuse-leap, but the configuration builds ubuntu",
      "its /etc/os-release says KAIROS_ID=opensuse-leap, but the configuration builds ubuntu",
    ]);

    const plain = `canvos-test-image:${uniqueTag("plain")}`;
    loadImage(plain, "amd64", [{ files: { "etc/os-release": 'NAME="Ubuntu"\nID=ubuntu\n' } }]);
    expect((await checkImage(plain, opts)).problems).toEqual(["its /etc/os-release lacks KAIROS_NAME, KAIROS_VERSION, KAIROS_ID, KAIROS_FLAVOR, KAIROS_VARIANT: it is not the Kairos image the Earthfile makes"]);
  });

  it("a whiteout in an upper layer removes os-release", async () => {
    const ref = `canvos-test-image:${uniqueTag("wh")}`;
    loadImage(ref, "amd64", [{ files: { "etc/os-release": KAIROS_RELEASE("ubuntu") } }, { whiteouts: ["etc/os-release"] }]);
    expect((await checkImage(ref, opts)).problems).toEqual(["has no /etc/os-release in its layers"]);
  });
});

describe.skipIf(!ready)("an image in the registry", () => {
  it("pushed right: no problems; pushed for arm64 or with another distribution: named", async () => {
    const good = `${TEST_REGISTRY}/canvos-image-check:${uniqueTag("ok")}`;
    pushImage(good, "amd64", [{ files: { "etc/os-release": KAIROS_RELEASE("ubuntu") } }]);
    expect(await checkImage(good, { ...opts, registry: true })).toEqual({ ref: good, where: "registry", problems: [] });

    const arm = `${TEST_REGISTRY}/canvos-image-check:${uniqueTag("arm")}`;
    pushImage(arm, "arm64", [{ files: { "etc/os-release": KAIROS_RELEASE("rhel") } }]);
    expect((await checkImage(arm, { ...opts, registry: true })).problems).toEqual([
      "is for linux/arm64, not linux/amd64",
      "its /etc/os-release says KAIROS_FLAVOR=rhel, but the configuration builds ubuntu",
      "its /etc/os-release says KAIROS_ID=rhel, but the configuration builds ubuntu",
    ]);

    const gone = `${TEST_REGISTRY}/canvos-image-check:${uniqueTag("gone")}`;
    expect((await checkImage(gone, { ...opts, registry: true })).problems).toEqual(["is not in the registry"]);
  }, 120_000);
});
