// The clock and the colour rule of the reporters (issue 12).
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PlainReporter } from "../../src/report/plain-reporter.js";
import { killedWords, killingMessage, Progress, progressIntervalMs, stoppingMessage } from "../../src/report/progress.js";
import { colourLevel } from "../../src/report/style.js";
import { formatDuration } from "../../src/report/summary.js";

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe("formatDuration", () => {
  it("rounds once: no `1 min 60 s`", () => {
    expect(formatDuration(119_600)).toBe("2 min 0 s");
    expect(formatDuration(59_960)).toBe("1 min 0 s");
    expect(formatDuration(59_940)).toBe("59.9 s");
    expect(formatDuration(3_725_000)).toBe("1 h 2 min");
  });

  it("in whole seconds for a clock that ticks each second", () => {
    expect(formatDuration(4_200, true)).toBe("4 s");
    expect(formatDuration(0, true)).toBe("0 s");
    expect(formatDuration(754_000, true)).toBe("12 min 34 s");
  });
});

describe("the colour rule", () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  it.each([
    [{}, tty, 1],
    [{}, pipe, 0],
    [{ TERM: "dumb" }, tty, 0],
    [{ NO_COLOR: "1" }, tty, 0],
    [{ NO_COLOR: "1", FORCE_COLOR: "1" }, pipe, 0],
    // An empty NO_COLOR is no request (no-color.org).
    [{ NO_COLOR: "" }, tty, 1],
    [{ FORCE_COLOR: "1" }, pipe, 1],
    [{ FORCE_COLOR: "" }, pipe, 1],
    [{ FORCE_COLOR: "true" }, pipe, 1],
    [{ FORCE_COLOR: "3" }, pipe, 3],
    [{ FORCE_COLOR: "0" }, tty, 0],
    [{ FORCE_COLOR: "false" }, tty, 0],
  ] as const)("%o on %o: level %i", (env, stream, level) => {
    expect(colourLevel(stream, env)).toBe(level);
  });
});

describe("progress", () => {
  it("says the phase, the target, the images and the time since the run started", () => {
    let now = 1_000_000;
    const p = new Progress(now, () => now);
    p.apply({ type: "start", command: "build-all", target: "+build-all-images", logPath: "x.log", providerImages: 2 });
    p.apply({ type: "phase", phase: "Build" });
    p.apply({ type: "target", target: "+provider-image" });
    p.apply({ type: "image", ref: "r/x:1", done: 1, total: 2 });
    now += 754_000;
    expect(p.parts()).toEqual({ phase: "Build", rest: ["+provider-image", "provider images 1/2"] });
    expect(p.elapsed()).toBe("12 min 34 s");
  });

  it("while Earthly stops, counts down to the kill", () => {
    let now = 0;
    const p = new Progress(now, () => now);
    p.apply({ type: "stopping", signal: "SIGINT", timeoutMs: 35_000 });
    now += 5_000;
    expect(p.parts()).toEqual({ phase: "stopping (SIGINT)", rest: ["waiting for Earthly to clean up", "30 s left"] });
    p.apply({ type: "killing", by: "timeout", timeoutMs: 35_000 });
    expect(p.parts()).toEqual({ phase: "killing Earthly", rest: [] });
  });

  it("words for the stop: how long canvos waits, how to force it, why Earthly was killed", () => {
    expect(stoppingMessage("SIGINT", 35_000)).toBe("SIGINT received: stopping Earthly (waiting up to 35 s for its clean-up; Ctrl-C again kills it at once)");
    expect(stoppingMessage("SIGHUP", 35_000)).toContain("another SIGHUP kills it at once");
    expect(killingMessage("timeout", 35_000)).toBe("Earthly did not stop within 35 s: killing it");
    expect(killingMessage("SIGTERM", 35_000)).toBe("second signal (SIGTERM): killing Earthly now");
    expect(killedWords("timeout", 35_000)).toBe("Earthly did not stop within 35 s and was killed");
    expect(killedWords("SIGINT", 35_000)).toBe("Earthly was killed at the second signal (SIGINT)");
  });

  it("CANVOS_PROGRESS_INTERVAL in seconds; 30 s without it or when it is no positive number", () => {
    expect(progressIntervalMs({})).toBe(30_000);
    expect(progressIntervalMs({ CANVOS_PROGRESS_INTERVAL: "0.5" })).toBe(500);
    expect(progressIntervalMs({ CANVOS_PROGRESS_INTERVAL: "0" })).toBe(30_000);
    expect(progressIntervalMs({ CANVOS_PROGRESS_INTERVAL: "-1" })).toBe(30_000);
    expect(progressIntervalMs({ CANVOS_PROGRESS_INTERVAL: "" })).toBe(30_000);
  });
});

describe("the plain reporter's clock", () => {
  it("a line every interval saying what runs and for how long, none after stop()", () => {
    vi.stubEnv("NO_COLOR", "1");
    vi.useFakeTimers();
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on("data", (c: Buffer) => chunks.push(c.toString()));
    const r = new PlainReporter(out, false, { startedAt: Date.now(), intervalMs: 30_000 });
    r.event({ type: "phase", phase: "Build" });
    r.event({ type: "target", target: "+provider-image" });
    vi.advanceTimersByTime(60_000);
    r.event({ type: "verifying" });
    vi.advanceTimersByTime(30_000);
    r.stop();
    vi.advanceTimersByTime(60_000);
    expect(chunks.join("").split("\n").filter((l) => l.includes("running for"))).toEqual([
      "canvos: running for 30 s: Build · +provider-image",
      "canvos: running for 1 min 0 s: Build · +provider-image",
      "canvos: running for 1 min 30 s: checking outputs",
    ]);
  });
});
