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
    r.event({ type: "log", stream: "stderr", line: "  +provider-image | hello" });
    r.summary({ command: "provider", durationMs: 1000, artifacts: [], images: [{ ref: "r/x:1", pushed: true }], logPath: "build/logs/x.log", manifestPath: "build/canvos-manifest.json", registry: "r" });
    r.stop();
    const text = chunks.join("");
    expect(text).toContain("+build-provider-images");
    expect(text).toContain("  +provider-image | hello");
    expect(text).toContain("r/x:1");
  });
});
