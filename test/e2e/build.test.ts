// The build commands end to end: the built canvos against the stand-in Earthly (test/bin/earthly).
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { formatSize } from "../../src/report/summary.js";
import { describe, expect, it, onTestFinished } from "vitest";
import { canvos, workspace, ROOT } from "../support/cli.js";
import { FAKE_BIN_DIR, pathWithFake, readRecord, writeArg } from "../support/fake-earthly.js";

const ARG = "IMAGE_REGISTRY=ttl.sh\nOS_DISTRIBUTION=ubuntu\nIMAGE_REPO=$OS_DISTRIBUTION\nCUSTOM_TAG=demo\nK8S_DISTRIBUTION=k3s\n";

function setup(arg = ARG) {
  const cwd = workspace();
  writeArg(cwd, arg);
  // Beside the workspace, not in it (canvos must never see it); removed with the workspace.
  const record = join(cwd, "..", `${cwd.split("/").pop()}-record.json`);
  onTestFinished(() => rmSync(record, { force: true }));
  const env = (extra: Record<string, string> = {}) => ({ PATH: pathWithFake(), FAKE_EARTHLY_RECORD: record, ...extra });
  return { cwd, record, env };
}

describe("canvos build-all", () => {
  it("refuses, before Earthly starts, an ISO whose user-data still holds the template's placeholders", async () => {
    const { cwd, record, env } = setup();
    writeFileSync(join(cwd, "user-data"), readFileSync(join(ROOT, "user-data.template")));
    const iso = await canvos(["iso"], { cwd, env: env() });
    expect(iso.exitCode).toBe(2);
    expect(iso.stderr).toMatch(/^user-data:\d+: error: stylus\.site\.edgeHostToken still holds a template placeholder/m);
    expect(iso.stderr).toContain("in the files the build uses; nothing was built");
    expect(existsSync(record)).toBe(false);
    // Provider images never read user-data: they build.
    const provider = await canvos(["provider", "--k8s-version", "1.27.2"], { cwd, env: env() });
    expect(provider.exitCode).toBe(0);
  });

  it("gives Earthly proxy passwords through a 0600 arg file, never on its command line, and removes it", async () => {
    const { cwd, record, env } = setup(`${ARG}HTTPS_PROXY=http://bob:hunter2@proxy:3128\nHTTP_PROXY=http://proxy:3128\n`);
    // A BuildKit host of its own keeps canvos out of proxy mode, which needs privileged Docker.
    const r = await canvos(["iso", "--buildkit-host", "tcp://127.0.0.1:8372"], { cwd, env: env() });
    expect(r.exitCode).toBe(0);
    const got = readRecord(record);
    expect(got.argv.join(" ")).not.toContain("hunter2");
    expect(got.argv).toContain("--HTTP_PROXY=http://proxy:3128");
    expect(got.buildArgs["HTTPS_PROXY"]).toBe("http://bob:hunter2@proxy:3128");
    expect(existsSync(join(cwd, ".canvos/build.arg"))).toBe(false);
  });

  it("builds the selected versions in one Earthly run, verifies, and prints the profile snippet", async () => {
    const { cwd, record, env } = setup();
    const r = await canvos(["build-all", "--k8s-version", "1.27.2,1.28.2"], { cwd, env: env() });
    expect(r.stderr).toContain("canvos build-all succeeded");
    expect(r.exitCode).toBe(0);

    const got = readRecord(record);
    expect(got.argv.slice(0, 5)).toEqual(["--allow-privileged", "--arg-file-path=.canvos/build.arg", "--secret-file-path=.canvos/build.secret", "--env-file-path=.canvos/build.env", "+build-all-images"]);
    expect(got.argv.slice(5).every((a) => /^--[A-Z0-9_]+=/.test(a))).toBe(true);
    expect(got.buildArgs["K8S_VERSIONS"]).toBe("1.27.2,1.28.2");
    expect(got.buildArgs["PE_VERSION"]).toBe("v4.3.2");
    expect(got.buildArgs["IMAGE_REPO"]).toBe("ubuntu");

    // Results on stdout, nothing else: the snippet can be redirected to a file.
    expect(r.stdout).toMatch(/^# Palette cluster profile/);
    expect(r.stdout).toContain("  system.peVersion: v4.3.2\n");
    expect(r.stdout).toContain("  system.registry: ttl.sh\n");

    const iso = readFileSync(join(cwd, "build/palette-edge-installer.iso"));
    const sum = createHash("sha256").update(iso).digest("hex");
    expect(readFileSync(join(cwd, "build/palette-edge-installer.iso.sha256"), "utf8")).toBe(`${sum}  palette-edge-installer.iso\n`);
    // The stand-in writes a real ISO in osbuilder's layout: its size is whatever xorriso makes.
    expect(r.stderr).toMatch(new RegExp(`build/palette-edge-installer\\.iso +${formatSize(iso.length).replace(".", "\\.")}  sha256 ${sum}`));
    expect(r.stderr).toContain("ttl.sh/ubuntu:k3s-1.28.2-v4.3.2-demo  (local Docker, checked)");
    expect(r.stderr).toContain("image 2/2 done: ttl.sh/ubuntu:k3s-1.28.2-v4.3.2-demo");
    expect(r.stderr).toContain("warning: IMAGE_REGISTRY is ttl.sh");
    expect(r.stderr).not.toMatch(/\u001b\[/);

    const manifest = JSON.parse(readFileSync(join(cwd, "build/canvos-manifest.build-all.json"), "utf8")) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      command: "build-all",
      status: "succeeded",
      k8sVersions: ["1.27.2", "1.28.2"],
      earthly: { version: expect.stringMatching(/^earthly version v0\.8\.15/) },
      artifacts: [{ path: "build/palette-edge-installer.iso", size: iso.length, sha256: sum }, expect.objectContaining({ path: "build/palette-edge-installer.iso.sha256" })],
    });
    expect(typeof manifest["durationSeconds"]).toBe("number");

    const logs = readdirSync(join(cwd, "build/logs"));
    expect(logs).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z-build-all\.log$/)]);
    const log = readFileSync(join(cwd, "build/logs", logs[0] ?? ""), "utf8");
    expect(log).toContain("     +provider-image | --> SAVE IMAGE --push ttl.sh/ubuntu:k3s-1.27.2-v4.3.2-demo");
    expect(log).toContain("Local Output Summary");
    expect(existsSync(join(cwd, ".canvos/build.lock"))).toBe(false);
  });

  it("never lets ./.arg or EARTHLY_BUILD_ARGS leak in when --arg-file names another file", async () => {
    const { cwd, record, env } = setup("CUSTOM_TAG=from-dot-arg\nLEAKED_FROM_DOT_ARG=yes\n");
    writeArg(cwd, "IMAGE_REGISTRY=registry.example.com\nIMAGE_REPO=edge\n", "other.arg");
    const r = await canvos(["provider", "--arg-file", "other.arg", "--k8s-version", "1.27.2"], { cwd, env: env({ EARTHLY_BUILD_ARGS: "SNEAKY=1" }) });
    expect(r.exitCode).toBe(0);
    const got = readRecord(record);
    expect(got.argFile).toBe(".canvos/build.arg");
    expect(got.buildArgs["LEAKED_FROM_DOT_ARG"]).toBeUndefined();
    expect(got.buildArgs["SNEAKY"]).toBeUndefined();
    expect(got.buildArgs["CUSTOM_TAG"]).toBe("demo");
    expect(got.buildArgs["IMAGE_REGISTRY"]).toBe("registry.example.com");
    expect(r.stdout).toContain("  system.registry: registry.example.com\n");
    expect(r.stderr).not.toContain("ttl.sh, an anonymous");
  });

  it("passes --push, --no-cache and pass-through flags before the target", async () => {
    const { cwd, record, env } = setup();
    // Nothing listens on port 9: Earthly's push fails, and so does the build, naming the registry.
    const r = await canvos(["provider", "--push", "--no-cache", "--earthly-flag=--strict", "--k8s-version", "1.27.2", "--CUSTOM_TAG=", "--IMAGE_REGISTRY=127.0.0.1:9"], { cwd, env: env() });
    const got = readRecord(record);
    expect(got.argv.slice(0, 8)).toEqual(["--allow-privileged", "--arg-file-path=.canvos/build.arg", "--secret-file-path=.canvos/build.secret", "--env-file-path=.canvos/build.env", "--push", "--no-cache", "--strict", "+build-provider-images"]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("127.0.0.1:9");
    expect(r.stdout).toBe("");
  });

  it("accepts the community fork's `earth` binary and --earthly-bin", async () => {
    const { cwd, record } = setup();
    const bin = workspace("canvos-bin-");
    symlinkSync(join(FAKE_BIN_DIR, "earthly"), join(bin, "earth"));
    const viaFork = await canvos(["iso"], { cwd, env: { PATH: `${bin}:/usr/bin:/bin:${process.env["PATH"] ?? ""}`.replace(`${FAKE_BIN_DIR}:`, ""), FAKE_EARTHLY_RECORD: record } });
    expect(viaFork.exitCode).toBe(0);
    const viaFlag = await canvos(["iso", "--earthly-bin", join(bin, "earth")], { cwd, env: { FAKE_EARTHLY_RECORD: record } });
    expect(viaFlag.exitCode).toBe(0);
  });
});

describe("canvos iso / base", () => {
  it("iso builds and verifies the ISO and prints no snippet", async () => {
    const { cwd, env } = setup();
    const r = await canvos(["iso", "--ISO_NAME=site-a"], { cwd, env: env() });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe("");
    expect(existsSync(join(cwd, "build/site-a.iso"))).toBe(true);
    expect(r.stderr).toContain("build/site-a.iso.sha256");
  });

  it("base runs +base-image", async () => {
    const { cwd, record, env } = setup();
    const r = await canvos(["base"], { cwd, env: env() });
    expect(r.exitCode).toBe(0);
    expect(readRecord(record).target).toBe("+base-image");
  });
});

describe("dry run", () => {
  it("--dry-run --json prints the plan and runs nothing", async () => {
    const { cwd, record, env } = setup("CUSTOM_TAG=demo\nHTTPS_PROXY=http://bob:hunter2@proxy:3128\n");
    const r = await canvos(["iso", "--dry-run", "--json"], { cwd, env: env() });
    expect(r.exitCode).toBe(0);
    const plan = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(plan["target"]).toBe("+iso");
    expect((plan["argv"] as string[])[0]).toBe(join(FAKE_BIN_DIR, "earthly"));
    expect(plan["artifacts"]).toEqual(["build/palette-edge-installer.iso", "build/palette-edge-installer.iso.sha256"]);
    expect(plan["images"]).toEqual(["palette-installer-image:v4.3.2-demo"]);
    expect(plan["profile"]).toMatchObject({ registry: "ttl.sh", repo: "ubuntu", peVersion: "v4.3.2" });
    expect(r.stdout).not.toContain("hunter2");
    expect(existsSync(record)).toBe(false);
    expect(existsSync(join(cwd, "build"))).toBe(false);
  });

  it("--dry-run works without Earthly installed and says so", async () => {
    const { cwd } = setup();
    const r = await canvos(["build-all", "--dry-run", "--k8s-version", "1.27.2"], { cwd, env: { PATH: "/usr/bin:/bin" } });
    expect(r.exitCode).toBe(0);
    // Without a local Earthly the build would run it in Docker: the plan shows that command, not `earthly ...`.
    expect(r.stdout).toContain("  3. Earthly +build-all-images, in its container:\n     docker run --rm --privileged --name 'canvos-earthly-<random>' ");
    expect(r.stdout).toContain(" gcr.io/spectro-images-public/earthly/earthly:v0.8.5 --allow-privileged --arg-file-path=.canvos/build.arg --secret-file-path=.canvos/build.secret --env-file-path=.canvos/build.env +build-all-images \\");
    expect(r.stdout).toContain("  ttl.sh/ubuntu:k3s-1.27.2-v4.3.2-demo  (local Docker only)");
    expect(r.stdout).toContain("earthly: Earthly was not found");
  });
});

describe("failures", () => {
  it.each([["new", "Earthfile:42:4"], ["old", "Earthfile:42:4"]])("a failed RUN: exit 1 with target, location (%s form), command, last lines, log", async (form, location) => {
    const { cwd, env } = setup();
    const r = await canvos(["build-all", "--k8s-version", "1.27.2"], { cwd, env: env({ FAKE_EARTHLY_FAIL: "1", FAKE_EARTHLY_FAIL_FORM: form }) });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("canvos: the build failed in +provider-image (Earthly exited with code 1)");
    expect(r.stderr).toContain(`  at:      ${location}`);
    expect(r.stderr).toContain("  command: RUN luet install -y k8s/k3s (exit code 1)");
    expect(r.stderr).toContain("    | Error: package k8s/k3s not found in repository spectro");
    expect(r.stderr).toMatch(/ {2}log: {5}build\/logs\/\S+-build-all\.log/);
    expect(JSON.parse(readFileSync(join(cwd, "build/canvos-manifest.build-all.json"), "utf8"))).toMatchObject({ status: "failed" });
  });

  it("BuildKit unreachable (exit 6) is an environment problem, exit 3", async () => {
    const { cwd, env } = setup();
    const r = await canvos(["iso"], { cwd, env: env({ FAKE_EARTHLY_ERROR: "could not connect to buildkitd: dial unix /run/buildkit.sock", FAKE_EARTHLY_EXIT: "6" }) });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain("Earthly cannot reach BuildKit (exit 6): could not connect to buildkitd");
    expect(r.stderr).toContain("hint: Earthly runs BuildKit in a Docker container");
  });

  it("Earthly missing: exit 3 saying what to install", async () => {
    const { cwd } = setup();
    // native: with auto, a machine with Docker would fall back to Earthly's container image.
    const r = await canvos(["iso", "--runner", "native"], { cwd, env: { PATH: "/usr/bin:/bin" } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain("canvos: Earthly was not found: neither `earthly` nor `earth` is on PATH");
    expect(r.stderr).toContain("install Earthly v0.8");
    expect(existsSync(join(cwd, "build"))).toBe(false);
  });

  it("a wrong .sha256 or a missing image fails verification, exit 1", async () => {
    const { cwd, env } = setup();
    const sha = await canvos(["iso"], { cwd, env: env({ FAKE_EARTHLY_BAD_SHA: "1" }) });
    expect(sha.exitCode).toBe(1);
    expect(sha.stderr).toContain("canvos: Earthly reported success, but an output is missing or wrong");
    expect(sha.stderr).toMatch(/build\/palette-edge-installer\.iso\.sha256 says 0{64} but build\/palette-edge-installer\.iso hashes to [0-9a-f]{64}/);
    const image = await canvos(["provider", "--k8s-version", "1.27.2,1.28.2"], { cwd, env: env({ FAKE_EARTHLY_SKIP_IMAGE: "1.28.2" }) });
    expect(image.exitCode).toBe(1);
    expect(image.stderr).toContain("image ttl.sh/ubuntu:k3s-1.28.2-v4.3.2-demo is not in Earthly's output summary");
    expect(image.stdout).toBe("");
  });

  it("invalid configuration: exit 2 and Earthly never runs", async () => {
    const { cwd, record, env } = setup("OS_DISTRIBUTION=ubuntoo\n");
    const r = await canvos(["build-all", "--k8s-version", "latest"], { cwd, env: env() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("ubuntoo");
    expect(existsSync(record)).toBe(false);
  });

  it("refuses pass-through flags that would bypass the configuration", async () => {
    const { cwd, env } = setup();
    const r = await canvos(["iso", "--earthly-flag=--arg-file-path=x.arg"], { cwd, env: env() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("--arg-file-path is set by canvos");
  });
});

describe("output", () => {
  it("--verbose streams Earthly's lines to stderr; the log keeps everything however much Earthly prints", async () => {
    const { cwd, env } = setup();
    const r = await canvos(["iso", "--verbose"], { cwd, env: env({ FAKE_EARTHLY_LOG_LINES: "100000", FAKE_EARTHLY_COLOR: "1", FAKE_EARTHLY_CRLF: "1" }) });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("         +base-image | log line 99999 ");
    expect(r.stderr).not.toMatch(/\u001b\[|\r/);
    const logDir = join(cwd, "build/logs");
    const log = readFileSync(join(logDir, readdirSync(logDir)[0] ?? ""), "utf8");
    expect(log.match(/log line \d+/g)).toHaveLength(100_000);
  });
});

describe("canvos profile", () => {
  it("prints the snippet for the configuration without building", async () => {
    const { cwd, record, env } = setup();
    mkdirSync(join(cwd, "sub"));
    const r = await canvos(["profile", "--registry", "registry.example.com", "--pe-version", "v4.4.0"], { cwd, env: env() });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("  system.registry: registry.example.com\n");
    expect(r.stdout).toContain("  system.peVersion: v4.4.0\n");
    expect(existsSync(record)).toBe(false);
    expect(existsSync(join(cwd, "build"))).toBe(false);
  });
});
