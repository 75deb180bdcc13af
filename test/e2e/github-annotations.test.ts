// In a GitHub workflow (GITHUB_ACTIONS=true) canvos adds workflow commands to what it prints, so
// that GitHub puts each problem on its file and line; anywhere else it adds none.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canvos, folder, ROOT, workspace } from "../support/cli.js";
import { pathWithFake, writeArg } from "../support/fake-earthly.js";

const annotations = (text: string): string[] => text.split("\n").filter((l) => l.startsWith("::"));

describe("GitHub Actions annotations", () => {
  it("put configuration problems on the file and line, relative to the repository", async () => {
    // The workspace is a folder of the repository.
    const repo = folder("canvos-gha-");
    const cwd = join(repo, "edge");
    mkdirSync(cwd);
    copyFileSync(join(ROOT, "Earthfile"), join(cwd, "Earthfile"));
    writeArg(cwd, "CUSTOM_TAG=demo\nARCH=sparc\n");
    const run = await canvos(["validate"], { cwd, env: { GITHUB_ACTIONS: "true", GITHUB_WORKSPACE: repo } });
    expect(run.exitCode).toBe(2);
    expect(annotations(run.stderr)).toEqual([
      '::error file=edge/.arg,line=2::ARCH: "sparc" is not one of amd64, arm64',
      "::error title=canvos::1 error in the configuration; nothing was built",
    ]);
    // The human lines stay as they are.
    expect(run.stderr).toContain('.arg:2: error: ARCH: "sparc" is not one of amd64, arm64');
  });

  it("put a failed build on the Earthfile's line, and warn about ttl.sh", async () => {
    const cwd = workspace("canvos-gha-");
    writeArg(cwd, "CUSTOM_TAG=demo\n");
    const failed = await canvos(["build-all", "--k8s-version", "1.27.2"], { cwd, env: { PATH: pathWithFake(), GITHUB_ACTIONS: "true", GITHUB_WORKSPACE: cwd, FAKE_EARTHLY_FAIL: "1" } });
    expect(failed.exitCode).toBe(1);
    expect(annotations(failed.stderr)).toEqual([expect.stringMatching(/^::error file=Earthfile,line=\d+,col=\d+,title=canvos::the build failed in \+provider-image \(Earthly exited with code 1\), after \d+\.\d s$/)]);
    const built = await canvos(["provider", "--k8s-version", "1.27.2"], { cwd, env: { PATH: pathWithFake(), GITHUB_ACTIONS: "true", GITHUB_WORKSPACE: cwd } });
    expect(built.exitCode).toBe(0);
    expect(annotations(built.stderr)).toEqual(["::warning title=canvos::IMAGE_REGISTRY is ttl.sh, an anonymous registry that deletes images after 24 h; set IMAGE_REGISTRY to keep them"]);
  });

  it("are not printed outside GitHub Actions", async () => {
    const cwd = workspace("canvos-gha-");
    writeFileSync(join(cwd, ".arg"), "ARCH=sparc\n");
    const run = await canvos(["validate"], { cwd, env: { CI: "true" } });
    expect(run.exitCode).toBe(2);
    expect(annotations(run.stderr)).toEqual([]);
  });
});
