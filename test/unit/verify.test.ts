import { createHash } from "node:crypto";
import { mkdirSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OutputTracker } from "../../src/earthly/output.js";
import type { BuildPlan } from "../../src/plan/plan.js";
import { checkOutputs, parseSha256File, sha256File } from "../../src/verify/verify.js";
import { workspace as freshFolder } from "../support/cli.js";

const body = Buffer.from("an installer image");
const sum = createHash("sha256").update(body).digest("hex");

function workspace(files: Record<string, string | Buffer>): string {
  const dir = freshFolder("canvos-verify-");
  mkdirSync(join(dir, "build"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

const plan = (push = false): BuildPlan =>
  ({
    artifacts: ["build/edge.iso", "build/edge.iso.sha256"],
    images: [
      { ref: "r/ubuntu:k3s-1.27.2-v4.3.2-demo", target: "+provider-image", kind: "provider", push },
      { ref: "palette-installer-image:v4.3.2-demo", target: "+iso-image", kind: "installer", push: false },
    ],
  }) as unknown as BuildPlan;

const outcome = (lines: string[]) => {
  const t = new OutputTracker();
  for (const l of lines) t.feed(l);
  return t.result();
};
const allImages = ["Image +provider-image output as r/ubuntu:k3s-1.27.2-v4.3.2-demo", "Image +iso-image output as palette-installer-image:v4.3.2-demo"];

describe("verification", () => {
  it("passes when the ISO matches its .sha256 and every image is in the summary", async () => {
    const dir = workspace({ "build/edge.iso": body, "build/edge.iso.sha256": `${sum}  edge.iso\n` });
    const result = await checkOutputs(plan(), dir, outcome(allImages));
    expect(result.problems).toEqual([]);
    expect(result.artifacts[0]).toEqual({ path: "build/edge.iso", size: body.length, sha256: sum });
    expect(result.images.map((i) => i.ref)).toHaveLength(2);
  });

  it("names a missing ISO, a wrong sum and a missing image", async () => {
    expect((await checkOutputs(plan(), workspace({}), outcome(allImages))).problems).toEqual(["build/edge.iso is missing", "build/edge.iso.sha256 is missing"]);
    const bad = await checkOutputs(plan(), workspace({ "build/edge.iso": body, "build/edge.iso.sha256": `${"0".repeat(64)}  edge.iso\n` }), outcome(allImages.slice(1)));
    expect(bad.problems[0]).toContain(`build/edge.iso.sha256 says ${"0".repeat(64)} but build/edge.iso hashes to ${sum}`);
    expect(bad.problems[1]).toBe("image r/ubuntu:k3s-1.27.2-v4.3.2-demo is not in Earthly's output summary");
  });

  it("wants provider images pushed when --push was given", async () => {
    const dir = workspace({ "build/edge.iso": body, "build/edge.iso.sha256": `${sum}  edge.iso\n` });
    expect((await checkOutputs(plan(true), dir, outcome(allImages))).problems).toEqual([expect.stringContaining("r/ubuntu:k3s-1.27.2-v4.3.2-demo was not pushed")]);
    const pushed = await checkOutputs(plan(true), dir, outcome([...allImages, "Pushed image +provider-image as r/ubuntu:k3s-1.27.2-v4.3.2-demo"]));
    expect(pushed.problems).toEqual([]);
    expect(pushed.images[0]).toEqual({ ref: "r/ubuntu:k3s-1.27.2-v4.3.2-demo", pushed: true });
  });

  it("stops hashing when its signal fires, not at the end of the file", async () => {
    const dir = workspace({});
    const huge = join(dir, "huge.iso");
    // Sparse: no disk, but 64 GiB to read and hash, far beyond the test's time-out.
    writeFileSync(huge, "");
    truncateSync(huge, 64 * 1024 ** 3);
    const abort = new AbortController();
    const hashing = sha256File(huge, abort.signal);
    setTimeout(() => abort.abort(), 50);
    await expect(hashing).rejects.toMatchObject({ name: "AbortError" });
  });

  it("hashes by streaming and reads sha256sum's format", async () => {
    const dir = workspace({ "build/big": Buffer.alloc(5 * 1024 * 1024, 7) });
    expect(await sha256File(join(dir, "build/big"))).toBe(createHash("sha256").update(Buffer.alloc(5 * 1024 * 1024, 7)).digest("hex"));
    expect(parseSha256File(`${sum}  edge.iso\n`)).toEqual({ sum, name: "edge.iso" });
    expect(parseSha256File(`${sum.toUpperCase()} *edge.iso`)).toEqual({ sum, name: "edge.iso" });
    expect(parseSha256File("garbage")).toBeUndefined();
  });
});
