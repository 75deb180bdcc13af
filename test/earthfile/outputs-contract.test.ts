// The last part of the contract: what canvos plans (and then verifies) is exactly what the
// Earthfile outputs. Earthly outputs only SAVE IMAGE / SAVE ARTIFACT AS LOCAL of targets reached
// from the invoked one through BUILD (earthly.md), so the walk below follows BUILD lines only,
// running the shell-out of the FOR loop that picks the Kubernetes versions.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/resolve.js";
import type { Override } from "../../src/config/types.js";
import { evaluateTarget, localTargetName, readEarthfile } from "../../src/earthfile/reader.js";
import { createPlan } from "../../src/plan/plan.js";
import { BUILD_COMMANDS, TARGET_OF } from "../../src/plan/targets.js";
import { shellOutLocally } from "../support/earthfile-run.js";

const root = new URL("../../", import.meta.url).pathname;
const model = readEarthfile(readFileSync(join(root, "Earthfile"), "utf8"));

interface Outputs {
  images: Set<string>;
  artifacts: Set<string>;
}

const shellOut = shellOutLocally(root);

/** The images and local artifacts that invoking `target` outputs: its own and its BUILDs'. */
function outputsOf(target: string, values: Record<string, string>, out: Outputs = { images: new Set(), artifacts: new Set() }): Outputs {
  const name = target.replace(/^\+/, "");
  const evaluation = evaluateTarget(model, name, values, { shellOut });
  const failed = evaluation.problems.filter((p) => p.severity === "error");
  if (failed.length > 0) throw new Error(failed.map((p) => `${p.where}: ${p.message}`).join("\n"));
  for (const save of evaluation.saveImages) for (const ref of save.refs) out.images.add(ref);
  for (const step of evaluation.steps) {
    if (step.kind === "save-artifact" && step.local !== undefined) out.artifacts.add(step.local.replace(/^\.\//, ""));
  }
  for (const build of evaluation.builds) {
    const local = localTargetName(build.target);
    if (local !== undefined) outputsOf(`+${local}`, { ...values, ...build.args }, out);
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
    const outputs = outputsOf(TARGET_OF[command], plan.buildArgs);
    expect([...outputs.images].sort()).toEqual(plan.images.map((i) => i.ref).sort());
    expect([...outputs.artifacts].sort()).toEqual([...plan.artifacts].sort());
  });
});
