// shellcheck over every piece of shell the project ships or runs: steps/*.sh, the RUN lines of the
// Earthfile and the Dockerfile, the commands of the Jetson mount configuration, and .ci/run. Any
// finding, style notes included, fails: a warning is how most shell bugs first show.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { logicalLines } from "../../src/earthfile/lexer.js";
import { readEarthfile } from "../../src/earthfile/reader.js";
import { requireService } from "../support/services.js";
import { PROJECT_ROOT } from "../support/workspace-copy.js";

const available = spawnSync("shellcheck", ["--version"]).status === 0;
const run = requireService("shellcheck", available, "install Debian's shellcheck package (.ci/run does)");

/** shellcheck's findings for `files` (empty when clean). */
function shellcheck(files: readonly string[], shell: "sh" | "bash"): string {
  const result = spawnSync("shellcheck", ["--shell", shell, "--severity", "style", "--format", "gcc", ...files], { encoding: "utf8" });
  if (result.status !== 0 && result.stdout.trim() === "") throw new Error(`shellcheck failed: ${result.stderr}`);
  return result.stdout.trim();
}

describe.skipIf(!run)("shellcheck", () => {
  const scratch = mkdtempSync(join(tmpdir(), "canvos-shellcheck-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** Writes inline shell to a file of its own, with the variables it is handed declared. */
  const snippet = (name: string, body: string, variables: readonly string[]): string => {
    const file = join(scratch, name);
    const declared = variables.map((v) => `: "\${${v}:=}"`).join("\n");
    writeFileSync(file, `#!/bin/sh\n${declared}\n${body}\n`);
    return file;
  };

  it("finds nothing in steps/", () => {
    const steps = readdirSync(join(PROJECT_ROOT, "steps")).filter((f) => f.endsWith(".sh")).map((f) => join(PROJECT_ROOT, "steps", f));
    expect(steps.length).toBeGreaterThan(5);
    expect(shellcheck(steps, "sh")).toBe("");
  });

  it("finds nothing in the Earthfile's RUN lines (build args declared)", () => {
    const model = readEarthfile(readFileSync(join(PROJECT_ROOT, "Earthfile"), "utf8"));
    const args = [...new Set([...model.globalArgs.map((a) => a.name), ...[...model.targets.values()].flatMap((t) => [...t.args, ...t.vars].map((a) => a.name))])];
    const files = [...model.targets.values()].flatMap((t) => t.runs.map((r) => snippet(`earthfile-${t.name}-${r.line}.sh`, r.command, args)));
    expect(files.length).toBeGreaterThan(5);
    expect(shellcheck(files, "sh")).toBe("");
  });

  it("finds nothing in the Dockerfile's RUN lines (its ARGs declared)", () => {
    const lines = logicalLines(readFileSync(join(PROJECT_ROOT, "Dockerfile"), "utf8"));
    const args = lines.flatMap((l) => /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(l.text)?.[1] ?? []);
    const runs = lines.filter((l) => l.text.startsWith("RUN "));
    expect(runs.length).toBeGreaterThan(0);
    expect(shellcheck(runs.map((r) => snippet(`dockerfile-${r.line}.sh`, r.text.slice(4), args)), "sh")).toBe("");
  });

  it("finds nothing in the Jetson mount configuration's commands", () => {
    const config = parse(readFileSync(join(PROJECT_ROOT, "overlay/jetson/mount.yaml"), "utf8")) as { stages: Record<string, { commands?: string[]; if?: string }[]> };
    const steps = Object.values(config.stages).flat();
    const body = steps.flatMap((s) => [`if ${s.if ?? "true"}; then`, ...(s.commands ?? []), "fi"]).join("\n");
    expect(shellcheck([snippet("jetson-mount.sh", body, [])], "sh")).toBe("");
  });

  it("finds nothing in vendor-base/steps/ and the vendor definitions' RUN lines", () => {
    const dir = join(PROJECT_ROOT, "vendor-base");
    const steps = readdirSync(join(dir, "steps")).filter((f) => f.endsWith(".sh")).map((f) => join(dir, "steps", f));
    expect(steps.length).toBeGreaterThan(3);
    const runs = readdirSync(dir).filter((f) => f !== "steps").flatMap((flavour) => {
      const lines = logicalLines(readFileSync(join(dir, flavour, "Dockerfile"), "utf8"));
      const args = lines.flatMap((l) => /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(l.text)?.[1] ?? []);
      // RUN's own --mount flags are BuildKit's, not the shell's.
      return lines.filter((l) => l.text.startsWith("RUN ")).map((r) => snippet(`vendor-${flavour}-${r.line}.sh`, r.text.slice(4).replace(/^(--mount=\S+\s+)+/, ""), args));
    });
    // Two RUN steps in each of the three definitions (rhel8 serves rhel8-fips too).
    expect(runs.length).toBeGreaterThanOrEqual(6);
    expect(shellcheck([...steps, ...runs], "sh")).toBe("");
  });

  it("finds nothing in .ci/run", () => {
    expect(shellcheck([join(PROJECT_ROOT, ".ci/run")], "bash")).toBe("");
  });

  it("reports a finding as a failure (the check can fail)", () => {
    const bad = snippet("bad.sh", 'for f in $(ls *.txt); do echo $f; done', []);
    expect(shellcheck([bad], "sh")).toMatch(/SC20(46|86)/);
    expect(() => execFileSync("shellcheck", ["--shell", "sh", bad], { stdio: "ignore" })).toThrow();
  });
});
