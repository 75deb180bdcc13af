// The last part of the contract: what canvos plans (and then verifies) is exactly what the
// Earthfile outputs. Earthly outputs only SAVE IMAGE / SAVE ARTIFACT AS LOCAL of targets reached
// from the invoked one through BUILD (earthly.md), so the walk below follows BUILD lines only.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/resolve.js";
import type { Override } from "../../src/config/types.js";
import { evaluateTarget, expandTag, localTargetName, readEarthfile } from "../../src/earthfile/reader.js";
import { createPlan } from "../../src/plan/plan.js";
import { BUILD_COMMANDS, TARGET_OF } from "../../src/plan/targets.js";

const root = new URL("../../", import.meta.url).pathname;
const model = readEarthfile(readFileSync(join(root, "Earthfile"), "utf8"));

interface Outputs {
  images: Set<string>;
  artifacts: Set<string>;
}

/**
 * `versions` stands in for the shell-out that splits VERSION_LIST: the recursion itself is run
 * for real in contract.test.ts; here each version reaches +provider-image once.
 */
function outputsOf(target: string, values: Record<string, string>, versions: readonly string[], out: Outputs = { images: new Set(), artifacts: new Set() }): Outputs {
  const name = target.replace(/^\+/, "");
  if (name === "provider-image-set") {
    for (const v of versions) outputsOf("+provider-image", { ...values, K8S_VERSION: v }, versions, out);
    return out;
  }
  const evaluation = evaluateTarget(model, name, values);
  for (const save of evaluation.saveImages) for (const ref of save.refs) out.images.add(ref);
  for (const save of model.targets.get(name)?.saveArtifacts ?? []) {
    if (save.local !== undefined) out.artifacts.add(expandTag(save.local, evaluation.vars).replace(/^\.\//, ""));
  }
  for (const build of evaluation.builds) {
    const local = localTargetName(build.target);
    if (local !== undefined) outputsOf(`+${local}`, { ...values, ...build.args }, versions, out);
  }
  return out;
}

const configs: Array<[string, Override[]]> = [
  ["defaults", []],
  ["no custom tag, rke2", [{ key: "CUSTOM_TAG", value: "", flag: "--tag" }, { key: "K8S_DISTRIBUTION", value: "rke2", flag: "--k8s-distribution" }]],
  ["renamed ISO, private registry", [{ key: "ISO_NAME", value: "site-a", flag: "--iso-name" }, { key: "IMAGE_REGISTRY", value: "registry.example.com:5000/edge", flag: "--registry" }]],
];

describe.each(configs)("what canvos plans equals what the Earthfile outputs (%s)", (_label, overrides) => {
  it.each(BUILD_COMMANDS.map((c) => [c]))("canvos %s", async (command) => {
    const resolved = await loadConfig({ cwd: "/nonexistent-canvos-contract", overrides, env: {} });
    const plan = createPlan({ command, resolved, earthly: "earthly", k8sVersions: ["1.27.2", "1.28.2"].filter(() => command === "build-all" || command === "provider"), push: false, noCache: false, earthlyFlags: [] });
    const outputs = outputsOf(TARGET_OF[command], plan.buildArgs, plan.k8sVersions);
    expect([...outputs.images].sort()).toEqual(plan.images.map((i) => i.ref).sort());
    expect([...outputs.artifacts].sort()).toEqual([...plan.artifacts].sort());
  });
});
