// --push verification against the live registry: a stand-in Earthly that really pushes a small
// image there (docker import + push), and one that claims to push but does not.
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canvos, workspace, ROOT } from "../support/cli.js";
import { writeArg } from "../support/fake-earthly.js";
import { dockerAvailable, registryAvailable, requireService, TEST_REGISTRY, uniqueTag } from "../support/services.js";

const ready = requireService("docker and the test registry", dockerAvailable() && (await registryAvailable()), `start dockerd and a registry on ${TEST_REGISTRY} (see .ci/run)`);

/** An `earthly` that runs the stand-in, then really pushes a tiny image to each ref in $PUSH_REFS. */
function pushingEarthly(): string {
  const bin = workspace("canvos-pushbin-");
  const script = `#!/bin/sh
set -e
"${join(ROOT, "test", "bin", "earthly")}" "$@"
case " $* " in *" --push "*) ;; *) exit 0 ;; esac
[ "$1" = "--version" ] && exit 0
dir=$(mktemp -d)
echo pushed > "$dir/hello.txt"
tar -cf "$dir/rootfs.tar" -C "$dir" hello.txt
for ref in $PUSH_REFS; do
  docker import "$dir/rootfs.tar" "$ref" >/dev/null
  docker push "$ref" >/dev/null
done
rm -rf "$dir"
`;
  writeFileSync(join(bin, "earthly"), script);
  chmodSync(join(bin, "earthly"), 0o755);
  return bin;
}

describe.skipIf(!ready)("provider --push is checked against the registry", () => {
  it("every planned image is there: exit 0", async () => {
    const cwd = workspace();
    const tag = uniqueTag("push");
    writeArg(cwd, `IMAGE_REGISTRY=${TEST_REGISTRY}\nIMAGE_REPO=canvos-push\nCUSTOM_TAG=${tag}\n`);
    const refs = ["1.27.2", "1.28.2"].map((v) => `${TEST_REGISTRY}/canvos-push:k3s-${v}-v4.3.2-${tag}`);
    const bin = pushingEarthly();
    const r = await canvos(["provider", "--push", "--k8s-version", "1.27.2,1.28.2"], { cwd, env: { PATH: `${bin}:${process.env["PATH"] ?? ""}`, PUSH_REFS: refs.join(" "), DOCKER_CONFIG: workspace("canvos-dcfg-") } });
    expect(r.stderr).toContain("succeeded");
    expect(r.exitCode).toBe(0);
  }, 180_000);

  it("an image Earthly said it pushed but the registry lacks: exit 1 naming it", async () => {
    const cwd = workspace();
    const tag = uniqueTag("push");
    writeArg(cwd, `IMAGE_REGISTRY=${TEST_REGISTRY}\nIMAGE_REPO=canvos-push\nCUSTOM_TAG=${tag}\n`);
    const pushed = `${TEST_REGISTRY}/canvos-push:k3s-1.27.2-v4.3.2-${tag}`;
    const missing = `${TEST_REGISTRY}/canvos-push:k3s-1.28.2-v4.3.2-${tag}`;
    const bin = pushingEarthly();
    const r = await canvos(["provider", "--push", "--k8s-version", "1.27.2,1.28.2"], { cwd, env: { PATH: `${bin}:${process.env["PATH"] ?? ""}`, PUSH_REFS: pushed, DOCKER_CONFIG: workspace("canvos-dcfg-") } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("canvos: Earthly reported success, but an image is not in the registry");
    expect(r.stderr).toContain(`  missing: ${missing}`);
    expect(r.stderr).not.toContain(`missing: ${pushed}`);
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  }, 180_000);
});
