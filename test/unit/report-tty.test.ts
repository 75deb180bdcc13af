import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { TtyReporter } from "../../src/report/tty-reporter.js";

describe("tty reporter", () => {
  it("renders events and the summary without throwing, and stops its spinner", () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100, cursorTo: () => true, clearLine: () => true, moveCursor: () => true }) as unknown as NodeJS.WriteStream;
    const chunks: string[] = [];
    (stream as unknown as PassThrough).on("data", (c: Buffer) => chunks.push(c.toString()));
    const r = new TtyReporter(stream, true);
    r.event({ type: "start", command: "provider", target: "+build-provider-images", logPath: "build/logs/x.log", providerImages: 2 });
    r.event({ type: "phase", phase: "Build" });
    r.event({ type: "target", target: "+provider-image" });
    r.event({ type: "image", ref: "r/x:1", done: 1, total: 2 });
    r.output("stderr", Buffer.from("  +provider-image | hello\n"), Buffer.from("  +provider-image | hello\n"));
    r.summary({ command: "provider", durationMs: 1000, artifacts: [], images: [{ ref: "r/x:1", pushed: true }], logPath: "build/logs/x.log", manifestPath: "build/canvos-manifest.json", registry: "r" });
    r.stop();
    const text = chunks.join("");
    expect(text).toContain("+build-provider-images");
    expect(text).toContain("  +provider-image | hello");
    expect(text).toContain("r/x:1");
  });
});

describe("tty reporter output", () => {
  it("prints Earthly's raw bytes (colour kept) with --verbose, above the spinner; nothing without", () => {
    const make = () => {
      const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100, cursorTo: () => true, clearLine: () => true, moveCursor: () => true }) as unknown as NodeJS.WriteStream;
      const chunks: string[] = [];
      (stream as unknown as PassThrough).on("data", (c: Buffer) => chunks.push(c.toString()));
      return { stream, text: () => chunks.join("") };
    };
    const raw = Buffer.from("\u001b[36m  +provider-image | \u001b[0mhello\n");
    const loud = make();
    const r = new TtyReporter(loud.stream, true);
    expect(r.rawOutput).toBe(true);
    r.event({ type: "start", command: "iso", target: "+iso", logPath: "build/logs/x.log", providerImages: 0 });
    r.output("stderr", raw, Buffer.from("  +provider-image | hello\n"));
    r.stop();
    expect(loud.text()).toContain("\u001b[36m  +provider-image | \u001b[0mhello\n");
    const quiet = make();
    const q = new TtyReporter(quiet.stream, false);
    expect(q.rawOutput).toBe(false);
    q.output("stderr", raw, raw);
    q.stop();
    expect(quiet.text()).not.toContain("hello");
  });
});

