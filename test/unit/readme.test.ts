// The README is the front door: its parameter table must list what canvos really accepts, and the
// workflow it offers must fail when canvos does.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, it, onTestFinished } from "vitest";
import { parse as parseYaml } from "yaml";
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

interface Step {
  id?: string;
  shell?: string;
  run?: string;
}

/** The README's GitHub workflow, parsed. */
function workflow(): { jobs: Record<string, { steps: Step[] }> } {
  const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? "").find((b) => b.includes("canvos matrix"));
  expect(block, "the README's workflow").toBeDefined();
  return parseYaml(block ?? "") as { jobs: Record<string, { steps: Step[] }> };
}

/**
 * Runs a `run:` step as GitHub's runner does on Linux: `bash -e {0}` by default, `bash --noprofile
 * --norc -eo pipefail {0}` for `shell: bash`, with `npx` standing in for npm's.
 */
async function runStep(step: Step, npx: string, cwd: string): Promise<{ exitCode: number | undefined; output: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), "canvos-readme-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "bin"));
  writeFileSync(join(dir, "bin", "npx"), `#!/usr/bin/env bash\n${npx}\n`, { mode: 0o755 });
  writeFileSync(join(dir, "step.sh"), step.run ?? "");
  const output = join(dir, "github-output");
  writeFileSync(output, "");
  const flags = step.shell === undefined ? ["-e"] : step.shell === "bash" ? ["--noprofile", "--norc", "-eo", "pipefail"] : undefined;
  expect(flags, `a shell the test knows: ${step.shell}`).toBeDefined();
  const r = await execa("bash", [...(flags ?? []), join(dir, "step.sh")], {
    cwd,
    env: { PATH: `${join(dir, "bin")}:${process.env["PATH"] ?? ""}`, GITHUB_OUTPUT: output, HOME: dir, NO_COLOR: "1" },
    extendEnv: false,
    reject: false,
  });
  return { exitCode: r.exitCode, output: readFileSync(output, "utf8"), stderr: r.stderr };
}

describe("README: the GitHub workflow's matrix step", () => {
  const matrixStep = (): Step => {
    const step = workflow().jobs["plan"]?.steps.find((s) => s.id === "matrix");
    expect(step?.run).toContain("canvos matrix");
    return step ?? {};
  };
  /** A workspace with the ci.arg the workflow names. */
  const checkout = (): string => {
    const dir = mkdtempSync(join(tmpdir(), "canvos-readme-ws-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    copyFileSync(new URL("../../Earthfile", import.meta.url), join(dir, "Earthfile"));
    writeFileSync(join(dir, "ci.arg"), "IMAGE_REGISTRY=registry.example.com\nCUSTOM_TAG=ci\nK8S_VERSION=1.27.2\n");
    return dir;
  };

  it("fails the step when canvos matrix fails, and writes no empty matrix", async () => {
    const r = await runStep(matrixStep(), 'echo "ci.arg:1: error: IMAGE_REGISTRY is not valid" >&2; exit 2', checkout());
    expect(r.exitCode).not.toBe(0);
    expect(r.output).not.toMatch(/^matrix=/m);
  });

  it("passes the real canvos matrix on as one line of JSON", async () => {
    const canvos = fileURLToPath(new URL("../../bin/canvos.cjs", import.meta.url));
    const r = await runStep(matrixStep(), `[ "$1" = canvos ] || exit 9; shift; exec "${process.execPath}" "${canvos}" "$@"`, checkout());
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const line = r.output.split("\n").find((l) => l.startsWith("matrix="));
    const matrix = JSON.parse(line?.slice("matrix=".length) ?? "") as { include: Array<{ kind: string; command: string }> };
    expect(matrix.include.map((j) => j.kind).sort()).toEqual(["iso", "provider"]);
    expect(matrix.include[0]?.command).toContain("--arg-file ci.arg");
  });
});
