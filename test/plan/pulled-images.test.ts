// The pulled-image set without a registry: what the step scripts really fetch matches what canvos
// says they fetch, the user's Dockerfile decides the base image, and the `.arg` lines follow the
// settings each image sits under.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execaSync } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import { loadWorkspace } from "../../src/config/earthfile-args.js";
import { mirrorArgLines, pulledImages } from "../../src/plan/pulled-images.js";
import { buildDefinitionCopy, PROJECT_ROOT } from "../support/workspace-copy.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function setFor(files: Record<string, string>, overrides: Record<string, string> = {}) {
  const cwd = buildDefinitionCopy(files, "canvos-pulled-");
  dirs.push(cwd);
  const { resolved, earthfile } = await loadWorkspace({ cwd, overrides: Object.entries(overrides).map(([key, value]) => ({ key, value, flag: `--${key}` })), env: {} });
  return pulledImages({ resolved, earthfile, cwd, command: "build-all", k8sVersions: [], runner: { kind: "native", engine: "earthly" } });
}

describe("pulled images", () => {
  it("downloads what download-etcdctl.sh downloads (its curl recorded)", async () => {
    const set = await setFor({}, { ARCH: "arm64", BASE_IMAGE: "quay.io/me/jetson:r36", ETCD_REPO: "https://mirror.example.com/etcd-io/", ETCD_VERSION: "v3.5.99" });
    const bin = join(dirs[0] ?? "", "fake-bin");
    mkdirSync(bin);
    const log = join(bin, "urls");
    // A stand-in curl: records the URL, writes nothing; the script then stops at its checksum.
    writeFileSync(join(bin, "curl"), `#!/bin/sh\nfor a in "$@"; do case "$a" in http*) echo "$a" >> ${log};; esac; done\n: > "$(echo "$@" | sed -n 's/.*--output \\([^ ]*\\).*/\\1/p')"\n`);
    chmodSync(join(bin, "curl"), 0o755);
    execaSync("sh", [join(PROJECT_ROOT, "steps", "download-etcdctl.sh"), join(bin, "out")], { env: { PATH: `${bin}:/usr/bin:/bin`, ETCD_REPO: "https://mirror.example.com/etcd-io/", ETCD_VERSION: "v3.5.99", ARCH: "arm64" }, extendEnv: false, reject: false });
    expect(set.downloads.map((d) => d.url)).toEqual(readFileSync(log, "utf8").trim().split("\n"));
  });

  it("names the luet repository luet-repo.sh configures", async () => {
    const script = readFileSync(join(PROJECT_ROOT, "steps", "luet-repo.sh"), "utf8");
    expect(script).toContain('repo="${SPECTRO_LUET_REPO%/}/luet-repo"');
    expect(script).toContain('repo="${SPECTRO_LUET_REPO%/}/luet-repo-arm"');
    const amd = await setFor({}, { SPECTRO_LUET_REPO: "reg.example.com/luet" });
    expect(amd.images.find((i) => i.wholeRepository)?.ref).toBe("reg.example.com/luet/luet-repo");
    const arm = await setFor({}, { SPECTRO_LUET_REPO: "reg.example.com/luet", ARCH: "arm64", BASE_IMAGE: "quay.io/me/jetson:r36" });
    expect(arm.images.find((i) => i.wholeRepository)?.ref).toBe("reg.example.com/luet/luet-repo-arm");
  });

  it("takes the base image from the Dockerfile's FROM lines with the build args", async () => {
    const set = await setFor({ Dockerfile: "ARG BASE\nARG TOOLS=reg.example.com/tools:1\nFROM ${TOOLS} AS tools\nFROM --platform=linux/amd64 ${BASE}\nCOPY --from=tools /x /x\n" });
    const froms = set.images.filter((i) => i.neededBy.includes("+base-image (Dockerfile)")).map((i) => i.ref);
    expect(froms).toEqual(["gcr.io/spectro-images-public/kairos-ubuntu:22.04-core-amd64-generic-v2.4.5", "reg.example.com/tools:1"]);
  });

  it("an Earthfile that does not evaluate is a configuration error naming the line", async () => {
    const failing = "#!/bin/sh\necho 'no base image for you' >&2\nexit 1\n";
    await expect(setFor({ "steps/choose-base-image.sh": failing })).rejects.toMatchObject({
      exitCode: 2,
      problems: [expect.objectContaining({ where: expect.stringMatching(/^Earthfile:\d+$/), message: expect.stringContaining("no base image for you") })],
    });
  });

  it("prints one .arg line per setting, BASE_IMAGE with its path, runner flags as a hint", () => {
    const lines = mirrorArgLines(
      [
        { settings: ["SPECTRO_PUB_REPO", "KAIROS_BASE_IMAGE_URL"], prefix: "gcr.io/x", path: "osbuilder-tools:v1" },
        { settings: ["SPECTRO_PUB_REPO"], prefix: "gcr.io/x", path: "canvos/alpine-cert:v1.0.0" },
        { settings: ["BASE_IMAGE"], path: "me/rhel8:1" },
        { settings: ["--earthly-image"], path: "earthbuild/earthbuild:v0.8.18" },
      ],
      "reg.site/edge",
    );
    expect(lines).toEqual(["SPECTRO_PUB_REPO=reg.site/edge", "KAIROS_BASE_IMAGE_URL=reg.site/edge", "BASE_IMAGE=reg.site/edge/me/rhel8:1", "# and build with --earthly-image reg.site/edge/earthbuild/earthbuild:v0.8.18"]);
  });
});
