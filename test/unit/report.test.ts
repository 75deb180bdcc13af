import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PlainReporter } from "../../src/report/plain-reporter.js";
import { formatDuration, formatSize, renderSummary } from "../../src/report/summary.js";

afterEach(() => vi.unstubAllEnvs());

const capture = () => {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c.toString()));
  return { stream, text: () => chunks.join("") };
};

const summary = {
  command: "build-all",
  durationMs: 83_000,
  artifacts: [{ path: "build/edge.iso", size: 3 * 1024 * 1024, sha256: "a".repeat(64) }],
  images: [{ ref: "ttl.sh/ubuntu:k3s-1.27.2-v4.3.2-demo", pushed: false }],
  logPath: "build/logs/x.log",
  manifestPath: "build/canvos-manifest.json",
  registry: "ttl.sh",
};

describe("summary", () => {
  it("lists artifacts with size and sha256, images, log, and warns about ttl.sh", () => {
    const text = renderSummary(summary);
    expect(text).toContain("canvos build-all succeeded in 1 min 23 s");
    expect(text).toContain(`build/edge.iso     3.0 MiB  sha256 ${"a".repeat(64)}`);
    expect(text).toContain("ttl.sh/ubuntu:k3s-1.27.2-v4.3.2-demo  (local Docker)");
    expect(text).toContain("Log: build/logs/x.log");
    expect(text).toContain("warning: IMAGE_REGISTRY is ttl.sh");
    expect(renderSummary({ ...summary, registry: "registry.example.com" })).not.toContain("ttl.sh, an anonymous");
  });

  it("does not warn about ttl.sh when nothing went there (canvos iso, canvos base)", () => {
    const iso = { ...summary, command: "iso", images: [{ ref: "palette-installer-image:v4.3.2-demo", pushed: false }] };
    expect(renderSummary(iso)).not.toContain("ttl.sh, an anonymous");
  });

  it("formats sizes and durations", () => {
    expect(formatSize(512)).toBe("512 B");
    expect(formatSize(1536)).toBe("1.5 KiB");
    expect(formatDuration(4200)).toBe("4.2 s");
  });
});

describe("plain reporter", () => {
  it("prints progress lines without colour", () => {
    // Whatever the environment running the tests asks for (colour.test.ts checks FORCE_COLOR).
    vi.stubEnv("NO_COLOR", "1");
    const quiet = capture();
    const r = new PlainReporter(quiet.stream, false);
    r.event({ type: "phase", phase: "Build" });
    r.event({ type: "target", target: "+provider-image" });
    r.event({ type: "image", ref: "r/x:1", done: 1, total: 2 });
    expect(quiet.text()).toBe("canvos: phase: Build\ncanvos: target: +provider-image\ncanvos: image 1/2 done: r/x:1\n");
  });
});

describe("Earthly's output through the reporters", () => {
  const raw = Buffer.from("\u001b[36m  +provider-image | \u001b[0mhello\n");
  const clean = Buffer.from("  +provider-image | hello\n");

  it("plain: the cleaned bytes with --verbose, nothing without", () => {
    const loud = capture();
    const r = new PlainReporter(loud.stream, true);
    expect(r.rawOutput).toBe(false);
    expect(r.output("stderr", raw, clean)).toBeUndefined();
    expect(loud.text()).toBe("  +provider-image | hello\n");
    const quiet = capture();
    new PlainReporter(quiet.stream, false).output("stderr", raw, clean);
    expect(quiet.text()).toBe("");
  });

  it("plain: a stream that is behind makes the caller wait for its drain", async () => {
    const slow = new PassThrough({ highWaterMark: 4 });
    const r = new PlainReporter(slow, true);
    const wait = r.output("stderr", raw, clean);
    expect(wait).toBeInstanceOf(Promise);
    slow.resume();
    await wait;
  });
});
