// The README is the front door: its parameter table must list what canvos really accepts.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PARAMETERS } from "../../src/config/parameters.js";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("README", () => {
  it.each(PARAMETERS.map((p) => [p.name, p] as const))("documents %s with its default", (name, spec) => {
    const row = readme.split("\n").find((line) => line.startsWith(`| \`${name}\` |`));
    expect(row, `no table row for ${name}`).toBeDefined();
    expect(row).toContain(spec.default === "" ? "(unset)" : `\`${spec.default}\``);
    for (const value of spec.values ?? []) expect(row).toContain(`\`${value}\``);
  });

  it("names the test command that .ci/run runs", () => {
    const ci = readFileSync(new URL("../../.ci/run", import.meta.url), "utf8");
    expect(readme).toContain("npm test");
    expect(ci).toMatch(/^npm test$/m);
  });
});
