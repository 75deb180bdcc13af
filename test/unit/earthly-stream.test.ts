import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cleanLines, redactBytes } from "../../src/earthly/clean-bytes.js";
import { LineSplitter } from "../../src/earthly/line-splitter.js";
import { cleanLine, OutputTracker, type EarthlyLine } from "../../src/earthly/output.js";

/** Every run of lines the splitter gives for `text` cut into chunks at `cuts`, then its end. */
function split(text: string | Buffer, cuts: readonly number[], maxLine?: number): Buffer[] {
  const bytes = typeof text === "string" ? Buffer.from(text) : text;
  const splitter = new LineSplitter(maxLine);
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...splitter.push(Buffer.from(bytes.subarray(from, cut))));
    from = cut;
  }
  out.push(splitter.end());
  return out.filter((b) => b.length > 0);
}
const joined = (runs: readonly Buffer[]): string => Buffer.concat(runs).toString();
const cleanAll = (runs: readonly Buffer[]): string => joined(runs.map((r) => cleanLines(r, true)));

// A small deterministic generator: the same cases on every run.
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("LineSplitter", () => {
  it("hands over whole lines only, whatever the chunk boundaries", () => {
    const text = "     +a | one\n     +b | two\r\nthree\n";
    for (let cut = 0; cut <= text.length; cut++) {
      const runs = split(text, [cut]);
      expect(joined(runs)).toBe(text);
      for (const run of runs) expect(run[run.length - 1]).toBe(0x0a);
    }
  });

  it("keeps CRLF and a lone CR inside their line (only LF ends a line)", () => {
    const runs = split("a\r\nb 10%\rb 100%\nc", [2, 7]);
    expect(joined(runs)).toBe("a\r\nb 10%\rb 100%\nc\n");
    expect(runs.map((r) => r.toString()).join("|")).not.toMatch(/\r\|/);
  });

  it("carries a line longer than the chunk over several chunks", () => {
    const long = `+t | ${"x".repeat(300_000)}`;
    const cuts = [1000, 65_536, 131_072, 200_000];
    expect(joined(split(`${long}\nnext\n`, cuts))).toBe(`${long}\nnext\n`);
  });

  it("ends a last line without LF with one", () => {
    expect(joined(split("one\ntwo", [5]))).toBe("one\ntwo\n");
    expect(split("", [])).toEqual([]);
  });

  it("cuts a line beyond its maximum, so memory stays bounded", () => {
    const runs = split("x".repeat(250), [100, 200], 128);
    expect(joined(runs)).toBe(`${"x".repeat(200)}\n${"x".repeat(50)}\n`);
  });

  it("never cuts a long line inside a secret, wherever the secret and the chunks fall", () => {
    // As runner.ts uses it: each run masked again, written one after the other. Joined without the
    // LFs the cuts inserted, the log must hold no secret, and everything else unchanged.
    fc.assert(
      fc.property(
        fc.constantFrom("hunter2-secret", "p@ss", "a-much-longer-secret-value-0123456789"),
        fc.array(fc.nat({ max: 600 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat({ max: 700 }), { maxLength: 8 }),
        (secret, places, cuts) => {
          const secrets = [Buffer.from(secret)];
          let text = "y".repeat(700);
          for (const at of places) text = text.slice(0, at) + secret + text.slice(at);
          const splitter = new LineSplitter(64, { overlap: secret.length - 1, mask: (line) => redactBytes(line, secrets) });
          const runs: Buffer[] = [];
          let from = 0;
          for (const cut of [...[...cuts].sort((a, b) => a - b).filter((c) => c <= text.length), text.length]) {
            runs.push(...splitter.push(Buffer.from(text.slice(from, cut))));
            from = Math.max(from, cut);
          }
          runs.push(splitter.end());
          const log = Buffer.concat(runs.map((run) => redactBytes(run, secrets))).toString();
          const rejoined = log.split("\n").join("");
          expect(rejoined).not.toContain(secret);
          expect(rejoined).toBe(redactBytes(Buffer.from(text), secrets).toString());
          for (const run of runs) expect(run[run.length - 1]).toBe(0x0a);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("cleanLines", () => {
  it("removes colour codes, also when a code was cut across chunks", () => {
    const text = "\u001b[36m     +provider-image | \u001b[0m--> RUN x\n\u001b]0;title\u0007done \u001b(B\n";
    // ESC ( is no sequence the pattern knows: it stays, as cleanLine leaves it.
    for (let cut = 0; cut <= text.length; cut++) expect(cleanAll(split(text, [cut]))).toBe("     +provider-image | --> RUN x\ndone \u001b(B\n");
  });

  it("keeps a line as a terminal shows it: the text after its last lone CR; CRLF is LF", () => {
    expect(cleanAll(split("get 10%\rget 50%\rget 100%\nok\r\n\u001b[32mdone\u001b[0m\r\n", [3, 9]))).toBe("get 100%\nok\ndone\n");
    expect(cleanAll(split("a\r\r\nb\r\n", []))).toBe("\nb\n");
  });

  it("returns the same bytes untouched when there is nothing to clean", () => {
    const plain = Buffer.from("     +a | plain text\n");
    expect(cleanLines(plain, true)).toBe(plain);
  });

  it("copies instead of rewriting when asked to keep the raw bytes", () => {
    const raw = Buffer.from("\u001b[31mred\u001b[0m\n");
    expect(cleanLines(raw, false).toString()).toBe("red\n");
    expect(raw.toString()).toBe("\u001b[31mred\u001b[0m\n");
  });

  it("agrees with cleanLine, line by line, on generated output cut at random places", () => {
    const pieces = ["\u001b[36m", "\u001b[0m", "\u001b[1;31m", "\u001b[", "\u001b]8;;x\u001b\\", "\u001b]x", "\u001bM", "\u001b", "\r", "\r\n", "\n", " | ", "+t", " ", "text", "é", "🚀", "—"];
    const next = random(42);
    for (let c = 0; c < 300; c++) {
      let text = "";
      const n = 1 + Math.floor(next() * 40);
      for (let i = 0; i < n; i++) text += pieces[Math.floor(next() * pieces.length)];
      const bytes = Buffer.from(text);
      const cuts = [...new Set([0, 0, 0].map(() => Math.floor(next() * bytes.length)))].sort((a, b) => a - b);
      const expected = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
      const want = text === "" ? "" : expected.map((l) => `${cleanLine(l)}\n`).join("");
      expect(cleanAll(split(bytes, cuts)), JSON.stringify(text)).toBe(want);
    }
  });
});

describe("redactBytes", () => {
  it("masks every occurrence of every value and leaves other bytes alone", () => {
    const out = redactBytes(Buffer.from("user:s3cret@host s3cret\nother\n"), [Buffer.from("s3cret"), Buffer.from("nothere")]);
    expect(out.toString()).toBe("user:****@host ****\nother\n");
    const untouched = Buffer.from("nothing\n");
    expect(redactBytes(untouched, [Buffer.from("s3cret")])).toBe(untouched);
  });
});

describe("OutputTracker.feedLines", () => {
  const run = (text: string, chunk: number) => {
    const tracker = new OutputTracker();
    const seen: { line: EarthlyLine; newTarget: boolean }[] = [];
    const bytes = Buffer.from(text);
    const cuts: number[] = [];
    for (let at = chunk; at < bytes.length; at += chunk) cuts.push(at);
    for (const lines of split(bytes, cuts)) tracker.feedLines(cleanLines(lines, true), (line, newTarget) => seen.push({ line, newTarget }));
    return { outcome: tracker.result(), seen };
  };
  const byLines = (text: string) => {
    const tracker = new OutputTracker();
    for (const line of text.split("\n")) tracker.feed(line);
    return tracker.result();
  };
  const build = [
    "",
    " Init 🚀",
    "—".repeat(80),
    "\u001b[36m           buildkitd | \u001b[0mFound buildkit daemon",
    " Build 🔧",
    ...Array.from({ length: 400 }, (_, i) => `\u001b[36m${["+base-image", "+provider-image", "+a-target-name-over-twenty"][i % 3]?.padStart(20)} | \u001b[0mstep ${i}${i % 7 === 0 ? "\r\n" : "\n"}`.trimEnd()),
    "\u001b[36m     +provider-image | \u001b[0m--> SAVE IMAGE ttl.sh/x:1",
    "downloading 10%\rdownloading 100%",
    " Local Output Summary 🎁",
    "Artifact +iso/e.iso output as build/e.iso",
    "Image +provider-image output as ttl.sh/x:1",
    "Pushed image +provider-image as ttl.sh/x:1",
    "Did not push image ttl.sh/x:2",
    "Error: something",
    "\u001b[32m========================== 🌍 Earthly Build  ✅ SUCCESS ==========================\u001b[0m",
  ].join("\n");
  const failure = [
    ...Array.from({ length: 50 }, (_, i) => `     +provider-image | line ${i}`),
    "     +provider-image | --> RUN luet install -y k8s/k3s@1.27.2",
    "     +provider-image | package k8s/k3s not found",
    "================================ ❌ FAILURE ==================================",
    "+provider-image *failed* | package k8s/k3s not found",
    "+provider-image *failed* | ERROR Earthfile:42:4",
    "+provider-image *failed* |       The command",
    "+provider-image *failed* |           RUN luet install -y k8s/k3s@1.27.2",
    "+provider-image *failed* |       did not complete successfully. Exit code 1",
  ].join("\r\n");

  it.each([[7], [100], [65_536]])("reads a build as feed does, line by line (chunks of %i bytes)", (chunk) => {
    const { outcome, seen } = run(build, chunk);
    const expected = byLines(build.replace(/downloading 10%\r/, ""));
    expect(outcome).toEqual(expected);
    const events = seen.filter((s) => s.line.kind === "phase" || s.newTarget).map((s) => (s.line.kind === "target" ? s.line.target : s.line.kind === "phase" ? s.line.phase : ""));
    expect(events).toEqual(["Init", "buildkitd", "Build", "+base-image", "+provider-image", "+a-target-name-over-twenty", "Local Output Summary"]);
  });

  it.each([[5], [64]])("collects the failure block from the tail (chunks of %i bytes)", (chunk) => {
    const { outcome } = run(failure, chunk);
    expect(outcome).toEqual(byLines(failure));
    expect(outcome).toMatchObject({ failed: true, failedTarget: "+provider-image", location: "Earthfile:42:4", command: "RUN luet install -y k8s/k3s@1.27.2", commandExitCode: 1 });
  });

  it("reads output without target prefixes, and *failed* and long prefixes, as feed does", () => {
    const text = [
      ...Array.from({ length: 3000 }, (_, i) => `plain line ${i} without a prefix`),
      "+build-provider-images-long | step",
      "+build-provider-images-long | another step",
      "+x *failed* | boom",
      "Artifact +iso/e.iso output as build/e.iso",
      ...Array.from({ length: 3000 }, (_, i) => `more ${i}`),
    ].join("\n");
    const { outcome, seen } = run(text, 65_536);
    expect(outcome).toEqual(byLines(text));
    expect(seen.filter((s) => s.newTarget).map((s) => (s.line.kind === "target" ? s.line.target : ""))).toEqual(["+build-provider-images-long", "+x"]);
  });

  it("reports lines with the watched text, and skips known target lines otherwise", () => {
    const tracker = new OutputTracker();
    const got: string[] = [];
    const lines = Buffer.from("     +provider-image | one\n     +provider-image | two\n     +provider-image | --> SAVE IMAGE r/x:1\n");
    tracker.feedLines(lines, (line) => got.push(line.kind === "target" ? line.text : line.kind), "SAVE IMAGE");
    expect(got).toEqual(["one", "--> SAVE IMAGE r/x:1"]);
  });

  it("keeps memory bounded: only the last MiB of output is held", () => {
    const tracker = new OutputTracker();
    const chunk = Buffer.from(`${"     +t | some build output that goes on\n".repeat(1600)}`);
    for (let i = 0; i < 200; i++) tracker.feedLines(chunk);
    const held = (tracker as unknown as { tailBytes: number }).tailBytes;
    expect(held).toBeLessThan(1024 * 1024 + chunk.length);
    expect(tracker.result().lastLines).toHaveLength(12);
  });
});
