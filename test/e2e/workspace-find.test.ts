// Where canvos runs: every command but init works in the workspace, found from the current folder
// upward (the nearest folder with an Earthfile); none is exit 3 with the way to get one, before
// anything is written or started.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findWorkspace } from "../../src/workspace/find.js";
import { canvos, folder, workspace } from "../support/cli.js";
import { pathWithFake, readRecord, writeArg } from "../support/fake-earthly.js";

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

/** A folder no workspace holds: the test means nothing if the temp folder's parents have an Earthfile. */
function outside(): string {
  const dir = folder("canvos-nows-");
  expect(findWorkspace(dir), "a folder above the temp folder has an Earthfile").toBeUndefined();
  return dir;
}

describe("outside a workspace", () => {
  it("every command that needs one exits 3, says how to get one, and writes nothing", async () => {
    const cwd = outside();
    const env = { PATH: pathWithFake(), FAKE_EARTHLY_RECORD: join(cwd, "record.json") };
    const commands = [["validate"], ["iso"], ["iso", "--dry-run"], ["build-all"], ["provider", "--k8s-version", "1.27.2"], ["base"], ["profile"], ["matrix", "--json"], ["verify"]];
    for (const args of commands) {
      const r = await canvos(args, { cwd, env });
      noStack(r.stderr);
      expect(r.exitCode, args.join(" ")).toBe(3);
      expect(r.stderr, args.join(" ")).toContain(`canvos: no canvos workspace here: neither ${cwd} nor a folder above it has an Earthfile`);
      expect(r.stderr, args.join(" ")).toContain("hint: run canvos init to lay out a workspace in this folder, or cd into a CanvOS checkout (a folder with an Earthfile)");
      expect(r.stdout, args.join(" ")).toBe("");
    }
    // Earthly never started; no build/, no .canvos/.
    expect(readdirSync(cwd)).toEqual([]);
  });

  it("an .arg alone is no workspace: the error names it and the way to complete it", async () => {
    const cwd = outside();
    writeArg(cwd, "ISO_NAME=mine\n");
    mkdirSync(join(cwd, "sub"));
    const r = await canvos(["iso", "--dry-run"], { cwd: join(cwd, "sub") });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain(`hint: ${cwd}/.arg has no Earthfile beside it: run canvos init in ${cwd} to add the build definition (it keeps your .arg)`);
  });

  it("doctor reports it as a failed check among the others", async () => {
    const cwd = outside();
    const r = await canvos(["doctor", "--json", "--runner", "docker", "--earthly-image", "example.invalid/earthly:none"], { cwd, env: { PATH: "/nonexistent" } });
    const data = JSON.parse(r.stdout) as { checks: Array<{ id: string; status: string; detail: string; fix?: string }> };
    expect(data.checks[0]).toEqual({ id: "workspace", title: "workspace", status: "failure", detail: `no canvos workspace here: neither ${cwd} nor a folder above it has an Earthfile`, fix: expect.stringContaining("run canvos init") });
    expect(data.checks.map((c) => c.id)).toContain("config");
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain("workspace");
  });
});

describe("from a folder inside the workspace", () => {
  function nested(): { root: string; deep: string } {
    const root = workspace();
    writeArg(root, "ISO_NAME=from-above\nCUSTOM_TAG=above\n");
    const deep = join(root, "docs", "notes");
    mkdirSync(deep, { recursive: true });
    return { root, deep };
  }

  it("validate, the plan and profile read the workspace's .arg", async () => {
    const { root, deep } = nested();
    const v = await canvos(["validate", "--json"], { cwd: deep });
    expect(v.exitCode).toBe(0);
    const result = JSON.parse(v.stdout) as { argFile: string; parameters: Array<{ name: string; value: string }> };
    expect(result.argFile).toBe(join(root, ".arg"));
    expect(result.parameters.find((p) => p.name === "ISO_NAME")?.value).toBe("from-above");
    const plan = await canvos(["iso", "--dry-run", "--json"], { cwd: deep });
    expect(plan.exitCode).toBe(0);
    expect((JSON.parse(plan.stdout) as { artifacts: string[] }).artifacts).toContain("build/from-above.iso");
    const profile = await canvos(["profile"], { cwd: deep });
    expect(profile.stdout).toContain("above");
    expect(existsSync(join(deep, ".canvos"))).toBe(false);
  });

  it("a build runs Earthly in the workspace and writes build/ there, not in the subfolder", async () => {
    const { root, deep } = nested();
    const record = join(folder("canvos-rec-"), "record.json");
    const r = await canvos(["iso"], { cwd: deep, env: { PATH: pathWithFake(), FAKE_EARTHLY_RECORD: record } });
    expect(r.stderr).toContain("canvos iso succeeded");
    expect(r.exitCode).toBe(0);
    expect(readRecord(record).cwd).toBe(root);
    expect(existsSync(join(root, "build", "from-above.iso"))).toBe(true);
    expect(readdirSync(deep)).toEqual([]);
    const verified = await canvos(["verify"], { cwd: deep });
    expect(verified.stdout).toMatch(/^ok +build\/from-above\.iso/m);
    expect(verified.exitCode).toBe(0);
    // A path typed by the user is taken from where they are.
    const typed = await canvos(["verify", "../../build/from-above.iso"], { cwd: deep });
    expect(typed.stdout).toMatch(/^ok +build\/from-above\.iso/m);
    expect(typed.exitCode).toBe(0);
  });

  it("a relative --arg-file is taken from the current folder; matrix repeats it as the workspace sees it", async () => {
    const { root, deep } = nested();
    writeArg(deep, "ISO_NAME=from-here\n", "ci.arg");
    const v = await canvos(["validate", "--json", "--arg-file", "ci.arg"], { cwd: deep });
    expect(v.exitCode).toBe(0);
    const result = JSON.parse(v.stdout) as { argFile: string; parameters: Array<{ name: string; value: string }> };
    expect(result.argFile).toBe(join(deep, "ci.arg"));
    expect(result.parameters.find((p) => p.name === "ISO_NAME")?.value).toBe("from-here");
    const m = await canvos(["matrix", "--json", "--arg-file", "ci.arg", "--k8s-version", "1.27.2"], { cwd: deep });
    expect(m.exitCode).toBe(0);
    const jobs = (JSON.parse(m.stdout) as { include: Array<{ command: string }> }).include;
    for (const job of jobs) expect(job.command).toContain("--arg-file docs/notes/ci.arg");
    const missing = await canvos(["validate", "--arg-file", "nope.arg"], { cwd: deep });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain(`cannot read ${join(deep, "nope.arg")}: no such file`);
  });

  it("the nearest Earthfile wins: a workspace inside another is a workspace of its own", async () => {
    const { root } = nested();
    const inner = join(root, "site-b");
    mkdirSync(inner);
    writeFileSync(join(inner, "Earthfile"), "VERSION 0.8\n");
    writeArg(inner, "");
    const r = await canvos(["doctor", "--json", "--runner", "docker", "--earthly-image", "example.invalid/earthly:none"], { cwd: inner, env: { PATH: "/nonexistent" } });
    const data = JSON.parse(r.stdout) as { checks: Array<{ id: string; status: string; detail: string }> };
    expect(data.checks[0]).toMatchObject({ id: "workspace", status: "ok", detail: inner });
  });
});

describe("canvos init", () => {
  it("works in the current folder, inside a workspace or not", async () => {
    const cwd = outside();
    const r = await canvos(["init"], { cwd });
    expect(r.exitCode).toBe(0);
    expect(existsSync(join(cwd, "Earthfile"))).toBe(true);
    expect(existsSync(join(cwd, ".arg"))).toBe(true);
  });
});
