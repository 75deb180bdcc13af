// What a run leaves behind and says about itself: one log per run (pruned), one record per
// command, the record on stdout with --json, and a dry run that shows the processes that really run.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canvos, workspace } from "../support/cli.js";
import { frozenClock } from "../support/clock.js";
import { earthlyHold, pathWithFake, writeArg } from "../support/fake-earthly.js";

const ARG = "IMAGE_REGISTRY=ttl.sh\nOS_DISTRIBUTION=ubuntu\nIMAGE_REPO=$OS_DISTRIBUTION\nCUSTOM_TAG=demo\nK8S_DISTRIBUTION=k3s\n";

function setup(arg = ARG) {
  const cwd = workspace();
  writeArg(cwd, arg);
  const env = (extra: Record<string, string> = {}) => ({ PATH: pathWithFake(), ...extra });
  const logs = (): string[] => readdirSync(join(cwd, "build", "logs")).sort();
  const readJson = (relative: string): Record<string, unknown> => JSON.parse(readFileSync(join(cwd, relative), "utf8")) as Record<string, unknown>;
  return { cwd, env, logs, readJson };
}

describe("build logs", () => {
  it("two runs in the same millisecond get a log each, named so that they sort in run order", async () => {
    const { cwd, env, logs, readJson } = setup();
    const clock = frozenClock("2026-03-04 05:06:07");
    const first = await canvos(["base"], { cwd, env: env(clock) });
    expect(first.exitCode, first.stderr).toBe(0);
    const second = await canvos(["base", "--BASE_IMAGE=second-run-marker"], { cwd, env: env(clock) });
    expect(second.exitCode, second.stderr).toBe(0);

    // Each log holds its own run alone, and the later run's sorts last.
    const [a, b] = logs().map((name) => readFileSync(join(cwd, "build", "logs", name), "utf8"));
    expect(a?.match(/^# canvos base /gm)).toHaveLength(1);
    expect(b?.match(/^# canvos base /gm)).toHaveLength(1);
    expect(a).not.toContain("second-run-marker");
    expect(b).toContain("--BASE_IMAGE=second-run-marker");
    expect(logs()).toEqual(["2026-03-04T05-06-07.000Z-base.log", "2026-03-04T05-06-07.000Z_2-base.log"]);
    expect(first.stderr).toContain("Log: build/logs/2026-03-04T05-06-07.000Z-base.log");
    expect(second.stderr).toContain("Log: build/logs/2026-03-04T05-06-07.000Z_2-base.log");
    expect(readJson("build/canvos-manifest.base.json")["log"]).toBe("build/logs/2026-03-04T05-06-07.000Z_2-base.log");
  });

  it("keeps the last CANVOS_KEEP_LOGS of canvos's own logs (20 by default) and nothing else in build/logs is touched", async () => {
    const { cwd, env, logs } = setup();
    // Logs of earlier runs (this version's names and an older one's), and a file of the user's.
    const earlier = ["2026-01-01T00-00-00Z-iso.log", "2026-01-02T00-00-00.000Z-provider.log", "2026-01-03T00-00-00.000Z_2-build-all.log"];
    const dir = join(cwd, "build", "logs");
    await canvos(["base"], { cwd, env: env() });
    for (const name of [...earlier, "notes.log", "2020-01-01T00-00-00Z-mine.txt"]) writeFileSync(join(dir, name), "earlier\n");
    const own = logs().filter((name) => !earlier.includes(name) && name.endsWith("-base.log"));
    expect(own).toHaveLength(1);

    const r = await canvos(["base"], { cwd, env: env({ CANVOS_KEEP_LOGS: "3" }) });
    expect(r.exitCode, r.stderr).toBe(0);
    const now = logs();
    expect(now.filter((name) => name.endsWith("-base.log"))).toHaveLength(2);
    expect(now).toEqual(["2020-01-01T00-00-00Z-mine.txt", "2026-01-03T00-00-00.000Z_2-build-all.log", ...now.filter((name) => name.endsWith("-base.log")), "notes.log"].sort());
    const latest = now.filter((name) => name.endsWith("-base.log")).at(-1) ?? "";
    expect(readFileSync(join(dir, latest), "utf8")).toContain("# canvos: removed the 2 oldest of canvos's logs, keeping the last 3 (CANVOS_KEEP_LOGS)");

    // The default: a workspace with many runs behind it keeps 20.
    for (let s = 0; s < 30; s++) writeFileSync(join(dir, `2026-02-01T00-00-${String(s).padStart(2, "0")}.000Z-iso.log`), "x\n");
    expect((await canvos(["base"], { cwd, env: env() })).exitCode).toBe(0);
    expect(logs().filter((name) => name.endsWith(".log") && name !== "notes.log")).toHaveLength(20);
    expect(existsSync(join(dir, "notes.log"))).toBe(true);
  });
});

describe("build records", () => {
  it("iso and then provider leave a record each, the summary names it, and canvos verify still checks the ISO", async () => {
    const { cwd, env, readJson } = setup();
    const iso = await canvos(["iso"], { cwd, env: env() });
    expect(iso.exitCode, iso.stderr).toBe(0);
    expect(iso.stderr).toContain("Manifest: build/canvos-manifest.iso.json");
    const provider = await canvos(["provider", "--k8s-version", "1.27.2"], { cwd, env: env() });
    expect(provider.exitCode, provider.stderr).toBe(0);
    expect(provider.stderr).toContain("Manifest: build/canvos-manifest.provider.json");

    const isoRecord = readJson("build/canvos-manifest.iso.json");
    expect(isoRecord).toMatchObject({ command: "iso", status: "succeeded", artifacts: [expect.objectContaining({ path: "build/palette-edge-installer.iso" }), expect.anything()] });
    expect(readJson("build/canvos-manifest.provider.json")).toMatchObject({ command: "provider", status: "succeeded", k8sVersions: ["1.27.2"], artifacts: [] });
    expect(existsSync(join(cwd, "build", "canvos-manifest.json"))).toBe(false);

    const verify = await canvos(["verify"], { cwd, env: env() });
    expect(verify.exitCode, verify.stderr).toBe(0);
    const artifacts = isoRecord["artifacts"] as { sha256: string }[];
    expect(verify.stdout).toContain(`ok       build/palette-edge-installer.iso  sha256 ${artifacts[0]?.sha256 ?? "?"}`);
  });

  it("a failed run replaces its command's earlier record with its own, saying why", async () => {
    const { cwd, env, readJson } = setup();
    expect((await canvos(["base"], { cwd, env: env() })).exitCode).toBe(0);
    const r = await canvos(["base"], { cwd, env: env({ FAKE_EARTHLY_FAIL: "+base-image" }) });
    expect(r.exitCode).toBe(1);
    expect(readJson("build/canvos-manifest.base.json")).toMatchObject({ status: "failed", error: { message: expect.stringMatching(/^the build failed in \+base-image \(Earthly exited with code 1\), after \d+\.\d s$/), exitCode: 1 } });
  });
});

describe("--json on a real build", () => {
  it("prints the record, and the profile snippet inside it, as the only thing on stdout", async () => {
    const { cwd, env, readJson } = setup(`${ARG}HTTPS_PROXY=http://bob:hunter2@proxy.example.com:3128\n`);
    const r = await canvos(["provider", "--k8s-version", "1.27.2", "--json", "--secret", "MY_TOKEN", "--buildkit-host", "tcp://127.0.0.1:8372"], { cwd, env: env({ MY_TOKEN: "s3cr3t-value-42" }) });
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    const record = readJson("build/canvos-manifest.provider.json");
    expect(out).toEqual({ ...record, manifest: "build/canvos-manifest.provider.json", profileSnippet: expect.stringMatching(/^# Palette cluster profile/) });
    expect(out["profileSnippet"]).toContain("  system.registry: ttl.sh\n");
    expect(out["status"]).toBe("succeeded");
    expect(r.stdout).not.toContain("hunter2");
    expect(r.stdout).not.toContain("s3cr3t-value-42");
    // Progress and the summary stay on stderr.
    expect(r.stderr).toContain("canvos provider succeeded");
  });

  it("prints the record of a failed build with the failure in it, and keeps the exit code", async () => {
    const { cwd, env, readJson } = setup();
    const r = await canvos(["iso", "--json"], { cwd, env: env({ FAKE_EARTHLY_FAIL: "+iso" }) });
    expect(r.exitCode).toBe(1);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toEqual({ ...readJson("build/canvos-manifest.iso.json"), manifest: "build/canvos-manifest.iso.json" });
    expect(out).toMatchObject({ command: "iso", status: "failed", error: { message: expect.stringMatching(/^the build failed in \+iso \(Earthly exited with code 1\), after \d+\.\d s$/), exitCode: 1, details: expect.arrayContaining([expect.stringMatching(/^log: +build\/logs\//)]) } });
    expect(r.stderr).toContain("canvos: the build failed in +iso");
  });

  it("prints the record of an interrupted build, status interrupted, exit 130", async () => {
    const { cwd, env, readJson } = setup();
    const hold = earthlyHold();
    const run = canvos(["iso", "--json"], { cwd, env: env(hold.env) });
    // Earthly runs, and waits, when the signal comes: no guessing at a moment.
    await hold.reached();
    run.kill("SIGINT");
    const r = await run;
    expect(r.exitCode).toBe(130);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toEqual({ ...readJson("build/canvos-manifest.iso.json"), manifest: "build/canvos-manifest.iso.json" });
    expect(out).toMatchObject({ status: "interrupted", error: { message: expect.stringMatching(/^interrupted by SIGINT after \d+\.\d s$/), exitCode: 130 } });
  });

  it("says why when the run ended before it had a record: invalid input (exit 2), a busy workspace (exit 3)", async () => {
    const { cwd, env } = setup();
    const bad = await canvos(["provider", "--k8s-version", "9.9", "--json"], { cwd, env: env() });
    expect(bad.exitCode).toBe(2);
    expect(JSON.parse(bad.stdout)).toEqual({
      canvos: expect.any(String),
      command: "provider",
      status: "failed",
      manifest: null,
      error: { message: "invalid --k8s-version", exitCode: 2, problems: [{ where: "--k8s-version", severity: "error", message: '"9.9" is not a Kubernetes version like 1.27.2' }] },
    });
    // This test's own process holds the lock: alive, on this host.
    mkdirSync(join(cwd, ".canvos"), { recursive: true });
    writeFileSync(join(cwd, ".canvos", "build.lock"), JSON.stringify({ pid: process.pid, host: hostname(), command: "iso", started: "2026-01-01T00:00:00Z" }));
    const busy = await canvos(["iso", "--json"], { cwd, env: env() });
    expect(busy.exitCode).toBe(3);
    expect(JSON.parse(busy.stdout)).toMatchObject({ command: "iso", status: "failed", manifest: null, error: { exitCode: 3, message: expect.stringContaining("another canvos run is using this workspace") } });
  });
});

interface Call {
  argv: string[];
}

interface PlannedProcess {
  purpose: string;
  argv: string[];
  env: string[];
  when?: string;
}

describe("--dry-run shows the processes that really run", () => {
  const PEM = readFileSync(join(import.meta.dirname, "runner-docker.test.ts"), "utf8").match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/)?.[0] ?? "";

  it("docker runner in proxy mode: the helper's life, then docker run ... earthly, in the order the build runs them, secrets by name", async () => {
    const { cwd, env } = setup(`${ARG}HTTPS_PROXY=http://bob:hunter2@proxy.example.com:3128\nPROXY_CERT_PATH=proxy-ca.crt\n`);
    writeFileSync(join(cwd, "proxy-ca.crt"), PEM);
    const log = join(workspace("canvos-dockerlog-"), "calls.jsonl");
    const home = workspace("canvos-home-");
    const args = ["iso", "--runner", "docker", "--secret", "MY_TOKEN"];
    const runEnv = env({ HOME: home, FAKE_DOCKER_LOG: log, MY_TOKEN: "s3cr3t-value-42" });

    const dry = await canvos([...args, "--dry-run", "--json"], { cwd, env: runEnv });
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(existsSync(log)).toBe(false);
    const processes = (JSON.parse(dry.stdout) as { processes: PlannedProcess[] }).processes;
    const text = await canvos([...args, "--dry-run"], { cwd, env: runEnv });
    for (const out of [dry.stdout, text.stdout]) {
      expect(out).not.toContain("hunter2");
      expect(out).not.toContain("s3cr3t-value-42");
    }
    expect(text.stdout).toContain("Processes, in order:");
    expect(text.stdout).toMatch(/ {2}7\. Earthly \+iso, in its container:\n {5}docker run --rm --privileged /);

    const real = await canvos(args, { cwd, env: runEnv });
    expect(real.exitCode, real.stderr).toBe(0);
    const calls = readFileSync(log, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as Call);
    const ran = calls.map((c) => ["docker", ...c.argv]);
    // Earthly's container name is random per run; the plan says so.
    const earthlyRun = ran.find((argv) => argv[1] === "run" && argv.includes("+iso")) ?? [];
    const name = earthlyRun[earthlyRun.indexOf("--name") + 1] ?? "";
    const planned = processes.map((p) => p.argv.map((word) => (word === "canvos-earthly-<random>" ? name : word)));
    // The image check is the real Docker's (not recorded); it finds no Earthly image here, so the pull ran.
    expect(processes[0]?.argv.slice(0, 3)).toEqual(["docker", "image", "inspect"]);
    expect(processes[1]).toMatchObject({ argv: ["docker", "pull", "--quiet", "gcr.io/spectro-images-public/earthly/earthly:v0.8.5"], when: "only if it is not here" });
    // `--version` runs while the build does: their order is the scheduler's. The stand-in docker
    // hands image commands (the checks) to the real Docker without recording them.
    const version = (argv: string[]): boolean => argv.includes("--version");
    const recorded = (argv: string[]): boolean => argv[1] !== "image" && argv[1] !== "save";
    expect(ran.filter((argv) => !version(argv))).toEqual(planned.filter((argv) => recorded(argv) && !version(argv)));
    expect(ran.filter(version)).toEqual(planned.filter(version));
    expect(processes.map((p) => p.purpose)).toEqual([
      "is the Earthly image here",
      "pull the Earthly image",
      "remove a BuildKit helper an earlier run may have left",
      "start the BuildKit helper for proxy mode",
      "install PROXY_CERT_PATH in the helper",
      "ask which port the helper listens on",
      "Earthly +iso, in its container",
      "Earthly's version, for the log and the manifest (while the build runs)",
      "check palette-installer-image:v4.3.2-demo: its platform",
      "check palette-installer-image:v4.3.2-demo: its /etc/os-release",
      "remove the BuildKit helper (after success, failure or Ctrl-C)",
    ]);
    expect(processes[8]?.argv).toEqual(["docker", "image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", "palette-installer-image:v4.3.2-demo"]);
    expect(processes[9]?.argv).toEqual(["docker", "save", "palette-installer-image:v4.3.2-demo"]);
    expect(processes[3]?.env).toEqual(["HTTPS_PROXY", "https_proxy"]);
    expect(processes[6]?.env).toEqual(["MY_TOKEN"]);
    expect(processes[6]?.argv).toContain("MY_TOKEN");
  });

  it("a local Earthly: the plan names its BuildKit host, set in its environment, when a proxy needs the helper", async () => {
    const { cwd, env } = setup(`${ARG}HTTP_PROXY=http://proxy.example.com:3128\n`);
    const dry = await canvos(["base", "--dry-run", "--json"], { cwd, env: env() });
    expect(dry.exitCode, dry.stderr).toBe(0);
    const processes = (JSON.parse(dry.stdout) as { processes: PlannedProcess[] }).processes;
    expect(processes.map((p) => p.argv.slice(0, 3).join(" "))).toEqual([
      expect.stringMatching(/^docker rm -f/),
      "docker run -d",
      expect.stringMatching(/^docker port canvos-buildkitd-/),
      expect.stringMatching(/test\/bin\/earthly --allow-privileged --arg-file-path=\.canvos\/build\.arg$/),
      expect.stringMatching(/test\/bin\/earthly --version$/),
      "docker image inspect",
      "docker save palette-base-image:v4.3.2-demo",
      expect.stringMatching(/^docker rm -f/),
    ]);
    expect(processes[3]?.env).toEqual(["EARTHLY_BUILDKIT_HOST=tcp://0.0.0.0:<published port>"]);
    // Without a proxy: Earthly, its version and the check of the image; a pushed image is checked in its registry, through its API.
    const plain = setup();
    const alone = await canvos(["provider", "--k8s-version", "1.27.2", "--push", "--dry-run", "--json"], { cwd: plain.cwd, env: plain.env() });
    expect((JSON.parse(alone.stdout) as { processes: PlannedProcess[] }).processes.map((p) => p.purpose)).toEqual(["Earthly +build-provider-images", "Earthly's version, for the log and the manifest (while the build runs)"]);
    const local = await canvos(["base", "--dry-run", "--json"], { cwd: plain.cwd, env: plain.env() });
    expect((JSON.parse(local.stdout) as { processes: PlannedProcess[] }).processes.map((p) => p.purpose)).toEqual([
      "Earthly +base-image",
      "Earthly's version, for the log and the manifest (while the build runs)",
      "check palette-base-image:v4.3.2-demo: its platform",
      "check palette-base-image:v4.3.2-demo: its /etc/os-release",
    ]);
  });
});
