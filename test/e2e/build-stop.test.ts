// Ctrl-C with an Earthly that does not stop (issue 12): canvos says how long it waits and that a
// second Ctrl-C forces it, and its end line says Earthly was killed. Each moment is reached by a
// handshake: the stand-in waiting in its hold (its signal handlers in place), then canvos's own
// "stopping" line.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { canvos, workspace } from "../support/cli.js";
import { earthlyHold, isAlive, pathWithFake, writeArg } from "../support/fake-earthly.js";
import { waitFor } from "../robustness/support.js";

function hangingRun(stopTimeoutMs: number) {
  const cwd = workspace("canvos-stop-");
  writeArg(cwd, "CUSTOM_TAG=demo\n");
  const pidfile = join(workspace("canvos-stop-side-"), "pids");
  const hold = earthlyHold();
  const run = canvos(["iso"], {
    cwd,
    env: { PATH: pathWithFake(), ...hold.env, FAKE_EARTHLY_PIDFILE: pidfile, FAKE_EARTHLY_HANG_ON_SIGNAL: "1", CANVOS_STOP_TIMEOUT_MS: String(stopTimeoutMs) },
  });
  let stderr = "";
  run.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  // A test that failed half-way leaves neither canvos nor the stand-in (its own process group) running.
  onTestFinished(() => {
    if (existsSync(pidfile)) for (const p of readFileSync(pidfile, "utf8").trim().split("\n")) if (isAlive(Number(p))) process.kill(-Number(p), "SIGKILL");
    run.kill("SIGKILL");
  });
  const earthlyReady = (): Promise<void> => hold.reached();
  const pid = (): number => Number(readFileSync(pidfile, "utf8").trim().split("\n")[0]);
  return { cwd, run, stderr: () => stderr, earthlyReady, pid };
}

const log = (cwd: string): string => {
  const dir = join(cwd, "build", "logs");
  return readFileSync(join(dir, readdirSync(dir)[0] ?? ""), "utf8");
};

describe("Ctrl-C with an Earthly that does not stop", () => {
  it("says how long canvos waits, kills Earthly when the time is up, and the end line says so", async () => {
    const h = hangingRun(2000);
    await h.earthlyReady();
    process.kill(h.run.pid ?? 0, "SIGINT");
    const r = await h.run;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toContain("canvos: SIGINT received: stopping Earthly (waiting up to 2 s for its clean-up; Ctrl-C again kills it at once)\n");
    expect(r.stderr).toContain("canvos: Earthly did not stop within 2 s: killing it\n");
    expect(r.stderr).toMatch(/^canvos: interrupted by SIGINT after \d+\.\d s; Earthly did not stop within 2 s and was killed$/m);
    expect(isAlive(h.pid())).toBe(false);
    expect(log(h.cwd)).toContain("# canvos: interrupted by SIGINT; Earthly did not stop within 2 s and was killed\n");
  }, 60_000);

  it("a second Ctrl-C kills Earthly at once", async () => {
    // Far longer than the test may take: only the second signal can end the run in time.
    const h = hangingRun(600_000);
    await h.earthlyReady();
    process.kill(h.run.pid ?? 0, "SIGINT");
    await waitFor(() => h.stderr().includes("canvos: SIGINT received: stopping Earthly (waiting up to 10 min 0 s"), 20_000, "canvos to forward the first signal");
    const second = Date.now();
    process.kill(h.run.pid ?? 0, "SIGINT");
    const r = await h.run;
    expect(Date.now() - second).toBeLessThan(10_000);
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toContain("canvos: second signal (SIGINT): killing Earthly now\n");
    expect(r.stderr).toMatch(/^canvos: interrupted by SIGINT after \d+\.\d s; Earthly was killed at the second signal \(SIGINT\)$/m);
    expect(isAlive(h.pid())).toBe(false);
  }, 60_000);

  it("SIGTERM names itself as the way to force the stop", async () => {
    const h = hangingRun(1000);
    await h.earthlyReady();
    process.kill(h.run.pid ?? 0, "SIGTERM");
    const r = await h.run;
    expect(r.exitCode).toBe(143);
    expect(r.stderr).toContain("canvos: SIGTERM received: stopping Earthly (waiting up to 1 s for its clean-up; another SIGTERM kills it at once)\n");
  }, 60_000);
});
