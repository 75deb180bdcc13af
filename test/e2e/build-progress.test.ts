// A long build seen from outside (issue 12): without a terminal a line every
// CANVOS_PROGRESS_INTERVAL seconds says what runs and for how long; on a terminal the spinner
// shows the elapsed time; the summary and a failure say the total. The stand-in Earthly holds in
// its Build phase until the test has seen what it waits for (a handshake, never a guessed delay).
import { randomUUID } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { canvos, workspace } from "../support/cli.js";
import { pathWithFake, writeArg } from "../support/fake-earthly.js";
import { waitFor } from "../robustness/support.js";
import { onTerminal } from "../support/terminal.js";

/** A workspace whose images no other test names, and the file that lets the stand-in go on. */
function setup(): { cwd: string; hold: string } {
  const cwd = workspace("canvos-progress-");
  writeArg(cwd, `CUSTOM_TAG=progress-${randomUUID().slice(0, 8)}\n`);
  const hold = join(workspace("canvos-progress-hold-"), "go");
  // A test that failed half-way lets its build finish rather than leave it held.
  onTestFinished(() => {
    if (existsSync(dirname(hold))) writeFileSync(hold, "");
  });
  return { cwd, hold };
}

const HEARTBEAT = /^canvos: running for (\d+) s: Build · \+base-image$/gm;

describe("progress without a terminal", () => {
  it("says every interval what runs and for how long, and the summary says the total", async () => {
    const { cwd, hold } = setup();
    const run = canvos(["iso"], { cwd, env: { PATH: pathWithFake(), FAKE_EARTHLY_HOLD: hold, CANVOS_PROGRESS_INTERVAL: "0.2" } });
    let stderr = "";
    run.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    // Two progress lines while Earthly is in +base-image: they keep coming while nothing else does.
    await waitFor(() => [...stderr.matchAll(HEARTBEAT)].length >= 2, 30_000, "two progress lines");
    writeFileSync(hold, "");
    const r = await run;
    expect(r.exitCode, r.stderr).toBe(0);
    const seconds = [...r.stderr.matchAll(HEARTBEAT)].map((m) => Number(m[1]));
    // The clock counts from the run's start and never goes back.
    expect(seconds).toEqual([...seconds].sort((a, b) => a - b));
    expect(r.stderr).toMatch(/^canvos iso succeeded in \d+\.\d s$/m);
    // Plain lines, no colour (NO_COLOR is set by the test's environment).
    expect(r.stderr).not.toContain("\u001b");
  }, 60_000);

  it("a failed build's end line says how long it ran", async () => {
    const { cwd } = setup();
    const r = await canvos(["iso"], { cwd, env: { PATH: pathWithFake(), FAKE_EARTHLY_FAIL: "+iso" } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^canvos: the build failed in \+iso \(Earthly exited with code 1\), after \d+\.\d s$/m);
  });

  it("CANVOS_PROGRESS_INTERVAL that is no positive number keeps the 30 s default", async () => {
    const { cwd } = setup();
    const r = await canvos(["iso"], { cwd, env: { PATH: pathWithFake(), CANVOS_PROGRESS_INTERVAL: "soon" } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("running for");
  });
});

describe("progress on a terminal", () => {
  it("the spinner shows the elapsed time, ticking while Earthly runs", async () => {
    const { cwd, hold } = setup();
    const run = onTerminal(cwd, ["iso"], { FAKE_EARTHLY_HOLD: hold, NO_COLOR: "1" });
    let out = "";
    run.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString()));
    // The spinner's text, redrawn: the phase, the target, then the time, which moves on.
    const shown = (): Set<string> => new Set([...out.matchAll(/Build · \+base-image · (\d+) s/g)].map((m) => m[1] ?? ""));
    await waitFor(() => shown().size >= 3, 30_000, "the spinner's clock to tick twice");
    writeFileSync(hold, "");
    const r = await run;
    expect(r.exitCode, out).toBe(0);
    expect(out).toMatch(/canvos iso succeeded in \d+\.\d s/);
  }, 60_000);
});
