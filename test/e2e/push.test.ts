// --push verification against the live registry: the stand-in Earthly really pushes its small
// images there (docker load + push), or claims to push one but does not (FAKE_EARTHLY_NOT_PUSHED).
import { describe, expect, it } from "vitest";
import { canvos, workspace } from "../support/cli.js";
import { pathWithFake, writeArg } from "../support/fake-earthly.js";
import { dockerAvailable, registryAvailable, requireService, TEST_REGISTRY, uniqueTag } from "../support/services.js";

const ready = requireService("docker and the test registry", dockerAvailable() && (await registryAvailable()), `start dockerd and a registry on ${TEST_REGISTRY} (see .ci/run)`);

describe.skipIf(!ready)("provider --push is checked against the registry", () => {
  it("every planned image is there: exit 0", async () => {
    const cwd = workspace();
    const tag = uniqueTag("push");
    writeArg(cwd, `IMAGE_REGISTRY=${TEST_REGISTRY}\nIMAGE_REPO=canvos-push\nCUSTOM_TAG=${tag}\n`);
    const refs = ["1.27.2", "1.28.2"].map((v) => `${TEST_REGISTRY}/canvos-push:k3s-${v}-v4.3.2-${tag}`);
    const r = await canvos(["provider", "--push", "--k8s-version", "1.27.2,1.28.2"], { cwd, env: { PATH: pathWithFake(), DOCKER_CONFIG: workspace("canvos-dcfg-") } });
    expect(r.stderr).toContain("succeeded");
    for (const ref of refs) expect(r.stderr).toContain(`  ${ref}  (pushed, checked in the registry)`);
    expect(r.exitCode).toBe(0);
  }, 180_000);

  it("an image Earthly said it pushed but the registry lacks: exit 1 naming it", async () => {
    const cwd = workspace();
    const tag = uniqueTag("push");
    writeArg(cwd, `IMAGE_REGISTRY=${TEST_REGISTRY}\nIMAGE_REPO=canvos-push\nCUSTOM_TAG=${tag}\n`);
    const pushed = `${TEST_REGISTRY}/canvos-push:k3s-1.27.2-v4.3.2-${tag}`;
    const missing = `${TEST_REGISTRY}/canvos-push:k3s-1.28.2-v4.3.2-${tag}`;
    const r = await canvos(["provider", "--push", "--k8s-version", "1.27.2,1.28.2"], { cwd, env: { PATH: pathWithFake(), FAKE_EARTHLY_NOT_PUSHED: "k3s-1.28.2", DOCKER_CONFIG: workspace("canvos-dcfg-") } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("canvos: Earthly reported success, but an image is not in the registry");
    expect(r.stderr).toContain(`  missing: ${missing}`);
    expect(r.stderr).not.toContain(`missing: ${pushed}`);
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  }, 180_000);
});
