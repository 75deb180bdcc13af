// The project's Dockerfile (the user's customisation layer) really built by BuildKit from the
// context Earthly would hand it, against tiny busybox base images this test makes: without a
// certificate it must build and leave the trust store alone; with one it must install it where
// the distribution expects it.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifactLayout } from "../../src/earthfile/artifacts.js";
import { evaluateTarget } from "../../src/earthfile/evaluate.js";
import { readEarthfile } from "../../src/earthfile/reader.js";
import { BUSYBOX, BUSYBOX_HOW, dockerAvailable, dockerBuild, dockerRun, makeBusyboxBase, removeImages, requireService, uniqueImageTag } from "../support/docker.js";
import { shellOutLocally, writeTree } from "../support/earthfile-run.js";
import { buildDefinitionCopy } from "../support/workspace-copy.js";

const root = new URL("../../", import.meta.url).pathname;
const caPem = readFileSync(join(root, "test/fixtures/certs/test-ca.pem"), "utf8");
const model = readEarthfile(readFileSync(join(root, "Earthfile"), "utf8"));
const runDocker = requireService("Docker", dockerAvailable(), "install docker.io and start dockerd (.ci/run does both)") && requireService("busybox", BUSYBOX !== undefined, BUSYBOX_HOW);

describe.skipIf(!runDocker)("Dockerfile built by docker build", () => {
  const made: string[] = [];
  const dirs: string[] = [];
  const withStub = uniqueImageTag("busybox-base");
  const withoutTool = uniqueImageTag("busybox-base-bare");

  /**
   * The build context exactly as Earthly hands it to the Dockerfile: laid out from the Earthfile's
   * own FROM DOCKERFILE line (src/earthfile/artifacts.ts) in a workspace holding `certs`.
   */
  const context = (certs?: Record<string, string>): string => {
    const files = Object.fromEntries(Object.entries(certs ?? {}).map(([name, pem]) => [`certs/${name}`, pem]));
    const workspace = buildDefinitionCopy(files);
    dirs.push(workspace);
    const evaluation = evaluateTarget(model, "base-image", {}, { shellOut: shellOutLocally(workspace) });
    const from = evaluation.steps.find((step) => step.kind === "from" && step.source === "dockerfile");
    if (from?.kind !== "from") throw new Error("+base-image has no FROM DOCKERFILE");
    const layout = artifactLayout(model, from.ref, evaluation.vars, { workspace });
    expect(layout.problems).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), "canvos-dockerfile-"));
    dirs.push(dir);
    writeTree(layout.tree, dir);
    return dir;
  };

  const build = async (base: string, ctx: string, args: Record<string, string> = {}): Promise<string> => {
    const tag = uniqueImageTag("customised");
    made.push(tag);
    await dockerBuild(ctx, tag, { BASE: base, ...args });
    return tag;
  };

  beforeAll(async () => {
    made.push(withStub, withoutTool);
    await makeBusyboxBase(withStub, { updateCaStub: true });
    await makeBusyboxBase(withoutTool);
  }, 180_000);

  afterAll(async () => {
    await removeImages(made);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("builds without any certificate (no certs/ folder) and changes no trust store", async () => {
    const image = await build(withStub, context());
    const check = await dockerRun(image, "ls /usr/local/share/ca-certificates /etc/pki/trust/anchors 2>/dev/null; ls /etc/ssl/certs/.update-ca-certificates-ran 2>/dev/null; ls /tmp");
    expect(check.stdout.trim()).toBe("");
  }, 300_000);

  it("builds with an empty certs/ folder, as the Earthfile's context has when no certificate is set", async () => {
    const image = await build(withStub, context({}));
    expect((await dockerRun(image, "ls /etc/ssl/certs/.update-ca-certificates-ran")).exitCode).not.toBe(0);
  }, 300_000);

  it("trusts a PEM certificate in Ubuntu's layout and runs update-ca-certificates", async () => {
    const image = await build(withStub, context({ "proxy-ca.pem": caPem }), { OS_DISTRIBUTION: "ubuntu" });
    const installed = await dockerRun(image, "cat /usr/local/share/ca-certificates/proxy-ca.crt");
    expect(installed.exitCode).toBe(0);
    expect(installed.stdout.trim()).toBe(caPem.trim());
    const bundle = await dockerRun(image, "cat /etc/ssl/certs/ca-certificates.crt && cat /etc/ssl/certs/.update-ca-certificates-ran");
    expect(bundle.stdout).toContain(caPem.trim());
    expect(bundle.stdout).toContain("ran");
    expect((await dockerRun(image, "ls /tmp")).stdout.trim()).toBe("");
  }, 300_000);

  it("puts the certificate in openSUSE's trust anchors, detected from /etc/os-release when not given", async () => {
    const suse = uniqueImageTag("busybox-base-suse");
    made.push(suse);
    await makeBusyboxBase(suse, { osId: "opensuse-leap", updateCaStub: true });
    const variants: Record<string, string>[] = [{ OS_DISTRIBUTION: "opensuse-leap" }, {}];
    for (const args of variants) {
      const image = await build(suse, context({ "corp.crt": caPem }), args);
      const installed = await dockerRun(image, "cat /etc/pki/trust/anchors/corp.crt && test ! -e /usr/local/share/ca-certificates");
      expect(installed.exitCode).toBe(0);
      expect(installed.stdout.trim()).toBe(caPem.trim());
    }
  }, 300_000);

  it("still builds when the base image has no update-ca-certificates, with the certificate in place", async () => {
    const image = await build(withoutTool, context({ "proxy-ca.crt": caPem }));
    const installed = await dockerRun(image, "cat /usr/local/share/ca-certificates/proxy-ca.crt");
    expect(installed.stdout.trim()).toBe(caPem.trim());
  }, 300_000);
});
