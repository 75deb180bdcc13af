import { describe, expect, it } from "vitest";
import { cleanLine, OutputTracker, parseLine, parseLocation } from "../../src/earthly/output.js";

const feedAll = (text: string): OutputTracker => {
  const tracker = new OutputTracker();
  for (const line of text.split("\n")) tracker.feed(line);
  return tracker;
};

describe("parseLine", () => {
  it("reads target prefixes right-aligned to 20 columns, and *failed*", () => {
    expect(parseLine("     +provider-image | --> RUN luet install")).toEqual({ kind: "target", target: "+provider-image", failed: false, text: "--> RUN luet install" });
    expect(parseLine("+provider-image *failed* | ERROR Earthfile:9:4")).toMatchObject({ kind: "target", target: "+provider-image", failed: true });
    expect(parseLine("+a-very-long-target-name-here | hello")).toMatchObject({ kind: "target", target: "+a-very-long-target-name-here", text: "hello" });
  });

  it("reads phase headers with or without (disabled)", () => {
    expect(parseLine(" Init 🚀")).toEqual({ kind: "phase", phase: "Init", disabled: false });
    expect(parseLine(" Build 🔧")).toEqual({ kind: "phase", phase: "Build", disabled: false });
    expect(parseLine(" Push Summary ⏫ (disabled)")).toEqual({ kind: "phase", phase: "Push Summary", disabled: true });
    expect(parseLine(" Local Output Summary 🎁")).toEqual({ kind: "phase", phase: "Local Output Summary", disabled: false });
    expect(parseLine("Build failed because of x")).toEqual({ kind: "text", text: "Build failed because of x" });
    expect(parseLine("—".repeat(80))).toEqual({ kind: "divider" });
  });

  it("reads the summary lines", () => {
    expect(parseLine("Artifact +iso/palette-edge-installer.iso output as build/palette-edge-installer.iso")).toEqual({ kind: "artifact", source: "+iso/palette-edge-installer.iso", path: "build/palette-edge-installer.iso" });
    expect(parseLine("Image +provider-image output as ttl.sh/ubuntu:k3s-1.27.2-v4.3.2-demo")).toEqual({ kind: "image", target: "+provider-image", ref: "ttl.sh/ubuntu:k3s-1.27.2-v4.3.2-demo" });
    expect(parseLine("Pushed image +provider-image as ttl.sh/ubuntu:k3s-1.27.2-v4.3.2-demo")).toEqual({ kind: "pushed", target: "+provider-image", ref: "ttl.sh/ubuntu:k3s-1.27.2-v4.3.2-demo" });
    expect(parseLine("Did not push image ttl.sh/ubuntu:k3s-1.27.2-v4.3.2-demo")).toEqual({ kind: "not-pushed", ref: "ttl.sh/ubuntu:k3s-1.27.2-v4.3.2-demo" });
    expect(parseLine("=========================== 🌍 Earthly Build  ✅ SUCCESS ===========================")).toEqual({ kind: "success" });
    expect(parseLine("================================ ❌ FAILURE ==================================")).toEqual({ kind: "failure" });
    expect(parseLine("Error: could not connect to buildkit")).toEqual({ kind: "error", message: "could not connect to buildkit" });
  });

  it("does not depend on colour codes or CRLF", () => {
    const coloured = "\u001b[36m     +provider-image | \u001b[0m--> RUN x\r";
    expect(cleanLine(coloured)).toBe("     +provider-image | --> RUN x");
    expect(parseLine(coloured)).toMatchObject({ kind: "target", target: "+provider-image", text: "--> RUN x" });
    expect(parseLine("\u001b[32mImage +provider-image output as r/x:1\u001b[0m\r")).toEqual({ kind: "image", target: "+provider-image", ref: "r/x:1" });
    expect(parseLine("\u001b[1m Build 🔧\u001b[0m\r")).toMatchObject({ kind: "phase", phase: "Build" });
  });

  it("keeps the last part of a line overwritten with CR", () => {
    expect(cleanLine("10%\r50%\r100% done")).toBe("100% done");
  });
});

describe("parseLocation", () => {
  it("accepts both of Earthly's location forms", () => {
    expect(parseLocation("ERROR Earthfile:42:4")).toBe("Earthfile:42:4");
    expect(parseLocation("ERROR Earthfile line 42:4")).toBe("Earthfile:42:4");
    expect(parseLocation("ERROR ./sub/Earthfile:7:2")).toBe("./sub/Earthfile:7:2");
    expect(parseLocation("nothing here")).toBeUndefined();
  });
});

describe("OutputTracker", () => {
  const failure = (location: string, eol = "\n") =>
    [
      "     +provider-image | --> RUN luet install -y k8s/k3s@1.27.2",
      "     +provider-image | package k8s/k3s not found",
      "",
      "================================ ❌ FAILURE ==================================",
      "+provider-image *failed* | package k8s/k3s not found",
      `+provider-image *failed* | ${location}`,
      "+provider-image *failed* |       The command",
      "+provider-image *failed* |           RUN luet install -y k8s/k3s@1.27.2",
      "+provider-image *failed* |       did not complete successfully. Exit code 1",
    ].join(eol);

  it.each([["ERROR Earthfile:42:4"], ["ERROR Earthfile line 42:4"]])("collects the failure block (%s)", (location) => {
    const o = feedAll(failure(location)).result();
    expect(o.failed).toBe(true);
    expect(o.failedTarget).toBe("+provider-image");
    expect(o.location).toBe("Earthfile:42:4");
    expect(o.command).toBe("RUN luet install -y k8s/k3s@1.27.2");
    expect(o.commandExitCode).toBe(1);
    expect(o.lastLines).toEqual(["--> RUN luet install -y k8s/k3s@1.27.2", "package k8s/k3s not found"]);
  });

  it("reads the same block with CRLF and colour", () => {
    const text = failure("ERROR Earthfile:42:4", "\r\n").split("\r\n").map((l) => `\u001b[31m${l}\u001b[0m\r`).join("\n");
    const o = feedAll(text).result();
    expect(o.location).toBe("Earthfile:42:4");
    expect(o.command).toBe("RUN luet install -y k8s/k3s@1.27.2");
  });

  it("reads a command on the same line as 'The command'", () => {
    const o = feedAll("+x *failed* | The command RUN false did not complete successfully. Exit code 2").result();
    expect(o.command).toBe("RUN false");
    expect(o.commandExitCode).toBe(2);
  });

  it("collects summaries and errors, and tells new targets", () => {
    const t = new OutputTracker();
    expect(t.feed("  +a | one").newTarget).toBe(true);
    expect(t.feed("  +a | two").newTarget).toBe(false);
    t.feed("Image +provider-image output as r/x:1");
    t.feed("Pushed image +provider-image as r/x:1");
    t.feed("Did not push image r/x:2");
    t.feed("Error: boom");
    const o = t.result();
    expect(o.images).toEqual([{ target: "+provider-image", ref: "r/x:1" }]);
    expect(o.pushed).toEqual([{ target: "+provider-image", ref: "r/x:1" }]);
    expect(o.notPushed).toEqual(["r/x:2"]);
    expect(o.errors).toEqual(["boom"]);
  });

  it("keeps memory bounded however many lines arrive", () => {
    const t = new OutputTracker();
    for (let i = 0; i < 50_000; i++) t.feed(`  +t${i % 500} | line ${i}`);
    const o = t.result();
    expect(o.lastLines.length).toBeLessThanOrEqual(12);
  });
});
