// `canvos vendor-base` as a user runs it, with the recording docker stand-in (test/bin/docker): the
// secrets travel by name on the command line and by value only in docker's environment, are masked
// should the build print them, and a missing one stops the run before docker is called. The
// "built" image is a real one the stand-in tags, so canvos's image check runs for real.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canvos, ROOT, workspace } from "../support/cli.js";
import { waitFor } from "../support/wait.js";
import { dockerAvailable, removeImages, requireService, uniqueImageTag } from "../support/docker.js";

const STAND_IN = join(ROOT, "test/bin/docker");
const SECRETS = { RH_USERNAME: "builder@example.com", RH_PASSWORD: "pw-Rq7-vendor-e2e" };

interface Call {
  argv: string[];
  env: Record<string, string>;
}
const calls = (file: string): Call[] => (existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Call) : []);

describe("vendor-base without Docker", () => {
  it("--list names the flavours and Spectro Cloud's prebuilt base images", async () => {
    const result = await canvos(["vendor-base", "--list"], { cwd: workspace() });
    expect(result.exitCode).toBe(0);
    for (const flavour of ["rhel8", "rhel8-fips", "ubuntu-focal-fips", "slem"]) expect(result.stdout).toContain(`  ${flavour} `);
    expect(result.stdout).toContain("gcr.io/spectro-images-public/ubuntu-focal-fips:v2.4.5");
    expect(result.stdout).toContain("gcr.io/spectro-images-public/rhel8:core-amd64-generic-v2.4.5");
  });

  it("--help says what each flavour needs", async () => {
    const result = await canvos(["vendor-base", "--help"], { cwd: workspace() });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("RH_USERNAME and RH_PASSWORD, or RH_ORG and RH_ACTIVATION_KEY");
    expect(result.stdout).toContain("UBUNTU_PRO_TOKEN");
    expect(result.stdout).toMatch(/SLE_REGCODE, and a registered SLE Micro\s+host/);
  });

  it("--dry-run --json: the docker build with secrets by name, the image, the .arg lines; nothing runs", async () => {
    const cwd = workspace();
    const log = join(cwd, "docker.jsonl");
    const result = await canvos(["vendor-base", "rhel8", "--dry-run", "--json", "--tag", "registry.example.com/edge/rhel8:v2.4.5", "--docker", STAND_IN], { cwd, env: { ...SECRETS, FAKE_DOCKER_LOG: log } });
    expect(result.exitCode, result.stderr).toBe(0);
    const plan = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(plan).toMatchObject({
      command: "vendor-base",
      flavour: "rhel8",
      definition: "vendor-base/rhel8/Dockerfile",
      images: ["registry.example.com/edge/rhel8:v2.4.5"],
      env: { DOCKER_BUILDKIT: "1" },
      platform: "linux/amd64",
      arg: { BASE_IMAGE: "registry.example.com/edge/rhel8:v2.4.5", OS_DISTRIBUTION: "rhel" },
      buildArgs: { VENDOR_BASE: "registry.access.redhat.com/ubi8/ubi-init:8.7-10", KAIROS_FRAMEWORK: "quay.io/kairos/framework:v2.4.5", KAIROS_VERSION: "v2.4.5" },
      warnings: [],
    });
    const argv = plan["argv"] as string[];
    expect(argv.slice(0, 2)).toEqual([STAND_IN, "build"]);
    expect(argv).toContain("id=rh-username,env=RH_USERNAME");
    expect(argv).toContain("id=rh-password,env=RH_PASSWORD");
    expect(argv.join(" ")).not.toContain("rh-org");
    expect(result.stdout).not.toContain(SECRETS.RH_PASSWORD);
    expect(calls(log)).toEqual([]);
  });

  it("a missing secret stops the run before docker: every missing variable named at once, exit 2", async () => {
    const cwd = workspace();
    const log = join(cwd, "docker.jsonl");
    const rhel = await canvos(["vendor-base", "rhel8-fips", "--docker", STAND_IN], { cwd, env: { FAKE_DOCKER_LOG: log } });
    expect(rhel.exitCode).toBe(2);
    expect(rhel.stderr).toContain("RH_USERNAME: error: not set");
    expect(rhel.stderr).toContain("RH_PASSWORD: error: not set");
    expect(rhel.stderr).toContain("or set RH_ORG and RH_ACTIVATION_KEY instead");
    const half = await canvos(["vendor-base", "rhel8", "--docker", STAND_IN], { cwd, env: { FAKE_DOCKER_LOG: log, RH_ORG: "org-1" } });
    expect(half.exitCode).toBe(2);
    expect(half.stderr).toContain("RH_ACTIVATION_KEY: error: not set");
    expect(half.stderr).not.toContain("RH_USERNAME: error");
    const pro = await canvos(["vendor-base", "ubuntu-focal-fips", "--docker", STAND_IN], { cwd, env: { FAKE_DOCKER_LOG: log, UBUNTU_PRO_TOKEN: "" } });
    expect(pro.exitCode).toBe(2);
    expect(pro.stderr).toContain("UBUNTU_PRO_TOKEN: error: not set");
    expect(pro.stderr).not.toMatch(/^\s+at /m);
    expect(calls(log)).toEqual([]);
    expect(existsSync(join(cwd, "build"))).toBe(false);
  });

  it("usage mistakes are exit 2: no flavour, an unknown one, --push without --tag, a bad --tag", async () => {
    const cwd = workspace();
    expect((await canvos(["vendor-base"], { cwd })).exitCode).toBe(2);
    const unknown = await canvos(["vendor-base", "rhel9"], { cwd });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('did you mean "rhel8"');
    const push = await canvos(["vendor-base", "slem", "--push"], { cwd, env: { SLE_REGCODE: "x-code" } });
    expect(push.exitCode).toBe(2);
    expect(push.stderr).toContain("--push needs --tag");
    const tag = await canvos(["vendor-base", "slem", "--tag", "--oops", "--dry-run"], { cwd });
    expect(tag.exitCode).toBe(2);
  });
});

const runDocker = requireService("Docker", dockerAvailable(), "install docker.io and start dockerd (.ci/run does both)");

describe.skipIf(!runDocker)("vendor-base through the recording docker stand-in", () => {
  const rhelImage = uniqueImageTag("vendor-e2e-rhel");
  const ubuntuImage = uniqueImageTag("vendor-e2e-ubuntu");
  const made: string[] = [rhelImage, ubuntuImage];

  const kairosImage = async (tag: string, flavor: string): Promise<void> => {
    const dir = mkdtempSync(join(tmpdir(), "canvos-vendor-e2e-"));
    try {
      mkdirSync(join(dir, "root/etc"), { recursive: true });
      writeFileSync(join(dir, "root/etc/os-release"), `ID=${flavor}\nKAIROS_NAME="kairos-core-${flavor}"\nKAIROS_VERSION="v2.4.5"\nKAIROS_ID="${flavor}"\nKAIROS_FLAVOR="${flavor}"\nKAIROS_VARIANT="core"\n`);
      // More than a KiB, as canvos's image check reads only layers of real size.
      writeFileSync(join(dir, "root/etc/padding"), "x".repeat(4096));
      await execa("tar", ["--owner=0", "--group=0", "-C", join(dir, "root"), "-cf", join(dir, "root.tar"), "."]);
      await execa("docker", ["import", join(dir, "root.tar"), tag]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  beforeAll(async () => {
    await kairosImage(rhelImage, "rhel");
    await kairosImage(ubuntuImage, "ubuntu");
  }, 120_000);
  afterAll(async () => removeImages(made), 120_000);

  it("passes each secret as --secret id=...,env=NAME: the value only in docker's environment, masked in what the build prints", async () => {
    const cwd = workspace();
    const log = join(cwd, "docker.jsonl");
    const tag = uniqueImageTag("vendor-e2e-out");
    made.push(tag);
    const result = await canvos(["vendor-base", "rhel8", "--tag", tag, "--docker", STAND_IN, "--verbose"], {
      cwd,
      env: { ...SECRETS, FAKE_DOCKER_LOG: log, FAKE_DOCKER_BUILD_FROM: rhelImage, FAKE_DOCKER_BUILD_ECHO_SECRETS: "1" },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe(`BASE_IMAGE=${tag}\nOS_DISTRIBUTION=rhel\n`);
    const [build] = calls(log);
    expect(build?.argv[0]).toBe("build");
    expect(build?.argv).toEqual(expect.arrayContaining(["--secret", "id=rh-username,env=RH_USERNAME", "id=rh-password,env=RH_PASSWORD", "--tag", tag]));
    // The values reached docker, in its environment and nowhere on its command line.
    expect(build?.env).toEqual({ DOCKER_BUILDKIT: "1", ...SECRETS });
    for (const value of Object.values(SECRETS)) {
      expect(build?.argv.join(" ")).not.toContain(value);
      expect(result.stdout + result.stderr).not.toContain(value);
    }
    // What the leaky build printed is in the log and on the terminal, masked.
    const logs = readdirSync(join(cwd, "build/logs"));
    const text = readFileSync(join(cwd, "build/logs", logs[0] ?? ""), "utf8");
    expect(text).toContain("a leaky tool says ****");
    expect(result.stderr).toContain("a leaky tool says ****");
    for (const value of Object.values(SECRETS)) expect(text).not.toContain(value);
    expect(result.stderr).toContain(`checked in the local Docker: linux/amd64, KAIROS_FLAVOR=rhel`);
  });

  it("an image that is not the flavour's is exit 1, naming what is wrong", async () => {
    const cwd = workspace();
    const tag = uniqueImageTag("vendor-e2e-wrong");
    made.push(tag);
    const result = await canvos(["vendor-base", "rhel8", "--tag", tag, "--docker", STAND_IN], { cwd, env: { ...SECRETS, FAKE_DOCKER_LOG: join(cwd, "docker.jsonl"), FAKE_DOCKER_BUILD_FROM: ubuntuImage } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("KAIROS_FLAVOR=ubuntu, but the configuration builds rhel");
    expect(result.stdout).toBe("");
  });

  it("a failed build is exit 1 with its last lines and the log", async () => {
    const cwd = workspace();
    const result = await canvos(["vendor-base", "slem", "--docker", STAND_IN], { cwd, env: { SLE_REGCODE: "code-Zx81-e2e", FAKE_DOCKER_LOG: join(cwd, "docker.jsonl"), FAKE_DOCKER_BUILD_EXIT: "1" } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("docker build of vendor-base/slem/Dockerfile failed (exited with code 1)");
    expect(result.stderr).toContain("load build definition from Dockerfile");
    expect(result.stderr).toMatch(/log: +build\/logs\/.*vendor-base-slem\.log/);
  });

  it("Ctrl-C during the build reaches docker build and ends canvos with 130", async () => {
    const cwd = workspace();
    const log = join(cwd, "docker.jsonl");
    const child = canvos(["vendor-base", "slem", "--docker", STAND_IN], { cwd, env: { SLE_REGCODE: "code-Zx81-e2e", FAKE_DOCKER_LOG: log, FAKE_DOCKER_BUILD_SLEEP_MS: "20000" } });
    const started = Date.now();
    // The stand-in says when its signal handlers are on; a signal before that would end it unlogged.
    await waitFor(() => existsSync(log) && readFileSync(log, "utf8").includes('{"building":true}'), 15_000);
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(readFileSync(log, "utf8")).toContain('{"signal":"SIGINT"}');
    expect(result.stdout).toBe("");
  });

  it("docker missing is exit 3", async () => {
    const cwd = workspace();
    const result = await canvos(["vendor-base", "slem", "--docker", join(cwd, "no-docker")], { cwd, env: { SLE_REGCODE: "code-Zx81-e2e" } });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain("cannot run");
  });
});
