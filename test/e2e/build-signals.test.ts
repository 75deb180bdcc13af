// Ctrl-C, SIGTERM and concurrent runs, against the stand-in Earthly.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canvos, workspace } from "../support/cli.js";
import { earthlyHold, isAlive, pathWithFake, writeArg } from "../support/fake-earthly.js";
import { waitFor } from "../support/wait.js";

function pids(file: string): number[] {
  return readFileSync(file, "utf8").trim().split("\n").map(Number);
}

function setup() {
  const cwd = workspace();
  writeArg(cwd, "CUSTOM_TAG=demo\n");
  // Beside the workspace (canvos must not find it there), removed with it when the test ends.
  const pidfile = join(workspace("canvos-pids-"), "pids");
  return { cwd, pidfile };
}

describe("signals", () => {
  it.each([
    ["SIGINT", 130, "interrupt"],
    ["SIGTERM", 143, "terminated"],
  ] as const)("%s goes to Earthly, canvos waits for its clean-up and exits %i, nothing survives", async (signal, code, word) => {
    const { cwd, pidfile } = setup();
    const hold = earthlyHold();
    const run = canvos(["build-all", "--k8s-version", "1.27.2"], {
      cwd,
      env: { PATH: pathWithFake(), ...hold.env, FAKE_EARTHLY_PIDFILE: pidfile, FAKE_EARTHLY_GRANDCHILD: "1", FAKE_EARTHLY_CLEANUP_MS: "300" },
    });
    await hold.reached();
    run.kill(signal);
    const r = await run;
    expect(r.exitCode).toBe(code);
    expect(r.stderr).toContain(`${signal} received: stopping Earthly`);
    expect(r.stderr).toContain(`canvos: interrupted by ${signal}`);
    expect(r.stdout).toBe("");
    for (const pid of pids(pidfile)) expect(isAlive(pid)).toBe(false);
    const logDir = join(cwd, "build/logs");
    const log = readFileSync(join(logDir, readdirSync(logDir)[0] ?? ""), "utf8");
    expect(log).toContain(`Received signal ${word}. Cleaning up before exiting...`);
    expect(existsSync(join(cwd, ".canvos/build.lock"))).toBe(false);
    expect(JSON.parse(readFileSync(join(cwd, "build/canvos-manifest.build-all.json"), "utf8"))).toMatchObject({ status: "interrupted" });
  });

  it("kills Earthly when its clean-up does not finish in time", async () => {
    const { cwd, pidfile } = setup();
    const hold = earthlyHold();
    const run = canvos(["iso"], {
      cwd,
      env: { PATH: pathWithFake(), ...hold.env, FAKE_EARTHLY_PIDFILE: pidfile, FAKE_EARTHLY_HANG_ON_SIGNAL: "1", CANVOS_STOP_TIMEOUT_MS: "1000" },
    });
    await hold.reached();
    const signalled = Date.now();
    run.kill("SIGINT");
    const r = await run;
    expect(r.exitCode).toBe(130);
    expect(Date.now() - signalled).toBeLessThan(15_000);
    for (const pid of pids(pidfile)) expect(isAlive(pid)).toBe(false);
  });
});

describe("one run per workspace", () => {
  it("a second run says so, exits 3 and leaves build/ alone; the first finishes", async () => {
    const { cwd } = setup();
    // The first run's Earthly holds until the second run is over: a fixed sleep raced the second
    // run's start-up under load (the first finished, freed the lock and wrote build/ meanwhile).
    const hold = earthlyHold();
    const first = canvos(["iso"], { cwd, env: { PATH: pathWithFake(), ...hold.env } });
    await hold.reached();
    const before = readdirSync(join(cwd, "build"), { recursive: true }).sort();
    const beforeMtime = statSync(join(cwd, "build")).mtimeMs;
    const second = await canvos(["build-all"], { cwd, env: { PATH: pathWithFake() } });
    expect(second.exitCode).toBe(3);
    expect(second.stderr).toMatch(/canvos: another canvos run is using this workspace: `canvos iso` \(pid \d+\), started /);
    expect(readdirSync(join(cwd, "build"), { recursive: true }).sort()).toEqual(before);
    expect(statSync(join(cwd, "build")).mtimeMs).toBe(beforeMtime);
    hold.release();
    const r = await first;
    expect(r.exitCode).toBe(0);
    expect(readdirSync(join(cwd, "build/logs"))).toHaveLength(1);
  });

  it("a lock left by a dead process is taken over", async () => {
    const { cwd } = setup();
    mkdirSync(join(cwd, ".canvos"));
    const dead = spawnSync("true").pid;
    writeFileSync(join(cwd, ".canvos/build.lock"), JSON.stringify({ pid: dead, host: hostname(), command: "iso", started: "earlier" }));
    const r = await canvos(["iso"], { cwd, env: { PATH: pathWithFake() } });
    expect(r.exitCode).toBe(0);
    expect(existsSync(join(cwd, ".canvos/build.lock"))).toBe(false);
  });
});
