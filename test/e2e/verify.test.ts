// `canvos verify`: the build's checks on an ISO and images made earlier or elsewhere.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canvos, workspace } from "../support/cli.js";
import { pathWithFake, writeArg } from "../support/fake-earthly.js";
import { KAIROS_RELEASE, loadImage } from "../support/images.js";
import { dockerAvailable, requireService, uniqueTag } from "../support/services.js";

function built(): string {
  const cwd = workspace();
  writeArg(cwd, "CUSTOM_TAG=demo\nOS_DISTRIBUTION=ubuntu\nIMAGE_REPO=$OS_DISTRIBUTION\n");
  writeFileSync(join(cwd, "user-data"), "#cloud-config\nstylus:\n  site:\n    paletteEndpoint: api.example.com\n");
  return cwd;
}

describe("canvos verify", () => {
  it("the ISO a build left in build/: exit 0; for another ARCH: exit 1 naming the loader", async () => {
    const cwd = built();
    expect((await canvos(["iso"], { cwd, env: { PATH: pathWithFake() } })).exitCode).toBe(0);
    const ok = await canvos(["verify"], { cwd });
    expect(ok.stdout).toMatch(/^ok {7}build\/palette-edge-installer\.iso {2}sha256 [0-9a-f]{64}\n$/);
    expect(ok.exitCode).toBe(0);
    const arm = await canvos(["verify", "--arch", "arm64", "--base-image", "example.com/arm:1"], { cwd });
    expect(arm.exitCode).toBe(1);
    expect(arm.stdout).toContain("has no EFI/BOOT/BOOTAA64.EFI");
    expect(arm.stderr).toContain("canvos: verify: a check failed");
  });

  it("a downloaded ISO elsewhere, as JSON; user-data changed since: exit 1", async () => {
    const cwd = built();
    expect((await canvos(["iso"], { cwd, env: { PATH: pathWithFake() } })).exitCode).toBe(0);
    const elsewhere = workspace("canvos-dl-");
    copyFileSync(join(cwd, "build/palette-edge-installer.iso"), join(elsewhere, "site-a.iso"));
    const json = await canvos(["verify", join(elsewhere, "site-a.iso"), "--json"], { cwd });
    expect(json.exitCode).toBe(0);
    const report = JSON.parse(json.stdout) as { ok: boolean; iso: { path: string; problems: string[] } };
    expect(report.ok).toBe(true);
    expect(report.iso.path).toBe(join(elsewhere, "site-a.iso"));
    writeFileSync(join(cwd, "user-data"), "#cloud-config\nstylus:\n  site:\n    paletteEndpoint: other.example.com\n");
    const changed = await canvos(["verify", join(elsewhere, "site-a.iso"), "--json"], { cwd });
    expect(changed.exitCode).toBe(1);
    expect((JSON.parse(changed.stdout) as { iso: { problems: string[] } }).iso.problems).toEqual([expect.stringContaining("/config.yaml differs from user-data")]);
  });

  it("no ISO at all: exit 1 naming it", async () => {
    const cwd = built();
    mkdirSync(join(cwd, "build"));
    const r = await canvos(["verify"], { cwd });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain("build/palette-edge-installer.iso is missing");
  });

  const ready = requireService("docker", dockerAvailable(), "start dockerd (see .ci/run)");
  it.skipIf(!ready)("--image: a right and a wrong image", async () => {
    const cwd = built();
    const good = `canvos-verify-image:${uniqueTag("ok")}`;
    const wrong = `canvos-verify-image:${uniqueTag("arm")}`;
    loadImage(good, "amd64", [{ files: { "etc/os-release": KAIROS_RELEASE("ubuntu") } }]);
    loadImage(wrong, "arm64", [{ files: { "etc/os-release": KAIROS_RELEASE("ubuntu") } }]);
    const r = await canvos(["verify", "--image", good, "--image", wrong], { cwd });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe(`ok       ${good}  (local Docker)\nfailure  ${wrong}  (local Docker)\n           is for linux/arm64, not linux/amd64\n`);
  });
});
