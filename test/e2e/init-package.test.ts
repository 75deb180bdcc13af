// `npx canvos init && npx canvos iso` with no CanvOS checkout: the package as npm packs it, its
// bin linked onto PATH the way `npm install -g` links it, run in an empty folder.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { WORKSPACE_LAYOUT } from "../../src/config/init.js";
import { folder, ROOT } from "../support/cli.js";
import { FAKE_BIN_DIR } from "../support/fake-earthly.js";

describe("the packed package lays out a workspace that builds", () => {
  it("init in an empty folder, then validate, iso --dry-run and iso succeed", async () => {
    const work = folder("canvos-pack-");
    // --ignore-scripts: the package as built now; `prepare` would rebuild it under other tests' feet.
    const packed = await execa("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: ROOT, env: { npm_config_loglevel: "silent" } });
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const shipped = new Set((info?.files ?? []).map((f) => f.path));
    for (const entry of WORKSPACE_LAYOUT) expect([...shipped].some((p) => p === entry || p.startsWith(`${entry}/`)), `package.json "files" ships ${entry}`).toBe(true);

    const prefix = join(work, "prefix");
    const lib = join(prefix, "lib", "node_modules");
    mkdirSync(lib, { recursive: true });
    await execa("tar", ["-xzf", join(work, info?.filename ?? ""), "-C", lib]);
    mkdirSync(join(prefix, "bin"));
    symlinkSync(join(lib, "package", "bin", "canvos.cjs"), join(prefix, "bin", "canvos"));

    const cwd = join(work, "edge");
    mkdirSync(cwd);
    const PATH = `${join(prefix, "bin")}:${FAKE_BIN_DIR}:${process.env["PATH"] ?? ""}`;
    const run = (args: string[]) => execa("canvos", args, { cwd, env: { PATH, HOME: process.env["HOME"], NO_COLOR: "1", CANVOS_CACHE_DIR: "" }, extendEnv: false, reject: false });

    const init = await run(["init", "--tag", "site-a"]);
    expect(init.exitCode).toBe(0);
    expect(init.stderr).toMatch(/^wrote Earthfile, Dockerfile, steps\/ \(\d+ files\), overlay\/ \(\d+ files\), k8s_version\.json, \.earthlyignore, \.arg\.template, user-data\.template, spectro-luet-auth\.yaml\.template, \.arg$/m);
    for (const entry of WORKSPACE_LAYOUT) expect(existsSync(join(cwd, entry)), entry).toBe(true);
    expect(readFileSync(join(cwd, "Earthfile"), "utf8")).toBe(readFileSync(join(ROOT, "Earthfile"), "utf8"));
    for (const step of readdirSync(join(cwd, "steps"))) expect(statSync(join(cwd, "steps", step)).mode & 0o111, step).not.toBe(0);
    expect(readFileSync(join(cwd, ".arg"), "utf8")).toMatch(/^CUSTOM_TAG=site-a$/m);

    const validate = await run(["validate"]);
    expect(validate.stderr).toContain("configuration valid");
    expect(validate.exitCode).toBe(0);
    const plan = await run(["iso", "--dry-run"]);
    expect(plan.stdout).toContain("build/palette-edge-installer.iso");
    expect(plan.exitCode).toBe(0);
    const iso = await run(["iso"]);
    expect(iso.stderr).toContain("canvos iso succeeded");
    expect(iso.exitCode).toBe(0);
    expect(existsSync(join(cwd, "build", "palette-edge-installer.iso"))).toBe(true);
  }, 120_000);
});
