// bin/canvos.cjs: the bundle it loads is self-contained, and its V8 code cache is only ever an
// optimisation: written after a successful run, taken by the next, and a missing, corrupt,
// foreign or unwritable cache changes nothing a user sees.
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { argWorkspace, canvos, folder, ROOT, workspace } from "../support/cli.js";

const INSTANT_EARTHLY = join(ROOT, "bench", "stand-in", "earthly-instant");

const cacheFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith(".v8")).sort();
const bundleId = (): string => (JSON.parse(readFileSync(join(ROOT, "dist", "bundle", "meta.json"), "utf8")) as { id: string }).id;

describe("the bundle", () => {
  it("runs from a copy of the package without node_modules", async () => {
    const pkg = folder("canvos-pkg-");
    // What package.json's "files" ships, but for tsc's dist/ (the bundle does not read it).
    for (const entry of ["bin", "k8s_version.json", "package.json", "Earthfile", "Dockerfile", "overlay", ".arg.template", "user-data.template", "spectro-luet-auth.yaml.template"]) {
      cpSync(join(ROOT, entry), join(pkg, entry), { recursive: true });
    }
    cpSync(join(ROOT, "dist", "bundle"), join(pkg, "dist", "bundle"), { recursive: true });
    const cwd = argWorkspace();
    chmodSync(INSTANT_EARTHLY, 0o755);
    const run = (args: string[]) =>
      execa(process.execPath, [join(pkg, "bin", "canvos.cjs"), ...args], {
        cwd,
        env: { PATH: process.env["PATH"], HOME: process.env["HOME"], NO_COLOR: "1", CANVOS_CACHE_DIR: "", CANVOS_EARTHLY_BIN: INSTANT_EARTHLY },
        extendEnv: false,
        reject: false,
      });
    const version = await run(["--version"]);
    expect(version.stdout).toBe((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version);
    expect((await run(["validate"])).exitCode).toBe(0);
    const iso = await run(["iso"]);
    expect(iso.stderr).toContain("canvos iso succeeded");
    expect(iso.exitCode).toBe(0);
  });

  it("runs through a symbolic link, as npm installs its bin", async () => {
    const dir = folder("canvos-link-");
    symlinkSync(join(ROOT, "bin", "canvos.cjs"), join(dir, "canvos"));
    const run = await execa(join(dir, "canvos"), ["--version"], { cwd: dir, reject: false, env: { PATH: process.env["PATH"], CANVOS_CACHE_DIR: "" }, extendEnv: false });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("says how to build it when it is missing, without a stack trace", async () => {
    const pkg = folder("canvos-pkg-");
    cpSync(join(ROOT, "bin"), join(pkg, "bin"), { recursive: true });
    cpSync(join(ROOT, "package.json"), join(pkg, "package.json"));
    const run = await execa(process.execPath, [join(pkg, "bin", "canvos.cjs"), "--version"], { cwd: pkg, reject: false, env: { NO_COLOR: "1" } });
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toContain("This copy of canvos is not built: run `npm install` (or `npm run build`)");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("runs under CANVOS_DEBUG through Node's own loader, without touching the cache", async () => {
    const cwd = argWorkspace();
    const cache = folder("canvos-cache-");
    const run = await canvos(["validate"], { cwd, env: { CANVOS_DEBUG: "1", CANVOS_CACHE_DIR: cache } });
    expect(run.exitCode).toBe(0);
    expect(readdirSync(cache)).toEqual([]);
  });
});

describe("the code cache", () => {
  it("is written after a successful run, private to the user, and taken as it is by the next run", async () => {
    const cwd = argWorkspace();
    const cache = join(folder("canvos-cache-"), "nested", "canvos");
    const first = await canvos(["validate"], { cwd, env: { CANVOS_CACHE_DIR: cache } });
    expect(first.exitCode).toBe(0);
    const files = cacheFiles(cache);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^${bundleId()}-.*-validate\\.v8$`));
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    const file = join(cache, files[0] ?? "");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(file).size).toBeGreaterThan(10_000);

    // A cache V8 took is not written again: same file, same bytes, same time.
    const before = statSync(file);
    const bytes = readFileSync(file);
    const second = await canvos(["validate"], { cwd, env: { CANVOS_CACHE_DIR: cache } });
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    const after = statSync(file);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  it("keeps one cache per command, and apart for a dry run", async () => {
    const cwd = argWorkspace();
    const cache = folder("canvos-cache-");
    const env = { CANVOS_CACHE_DIR: cache, CANVOS_EARTHLY_BIN: INSTANT_EARTHLY };
    chmodSync(INSTANT_EARTHLY, 0o755);
    for (const args of [["--version"], ["iso", "--dry-run"], ["iso"], ["profile"]]) expect((await canvos(args, { cwd, env })).exitCode, args.join(" ")).toBe(0);
    expect(cacheFiles(cache).map((f) => f.replace(/^.*-x64-|^.*-arm64-/, ""))).toEqual(["iso-dry-run.v8", "iso.v8", "profile.v8", "version.v8"]);
  });

  it("is not written by a run that failed", async () => {
    const cwd = workspace("canvos-cache-bad-");
    writeFileSync(join(cwd, ".arg"), "ARCH=sparc\n");
    const cache = folder("canvos-cache-");
    const run = await canvos(["validate"], { cwd, env: { CANVOS_CACHE_DIR: cache } });
    expect(run.exitCode).toBe(2);
    expect(cacheFiles(cache)).toEqual([]);
  });

  it("a corrupt cache is compiled past and replaced", async () => {
    const cwd = argWorkspace();
    const cache = folder("canvos-cache-");
    const clean = await canvos(["validate"], { cwd, env: { CANVOS_CACHE_DIR: cache } });
    const [name] = cacheFiles(cache);
    const file = join(cache, name ?? "");
    for (const garbage of [Buffer.alloc(0), Buffer.from("not a code cache"), readFileSync(file).subarray(0, 1000)]) {
      writeFileSync(file, garbage);
      const run = await canvos(["validate"], { cwd, env: { CANVOS_CACHE_DIR: cache } });
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toBe(clean.stdout);
      expect(run.stderr).toBe(clean.stderr);
      expect(statSync(file).size).toBeGreaterThan(10_000);
    }
  });

  it("a cache folder that cannot be made changes nothing", async () => {
    const cwd = argWorkspace();
    const notADir = join(folder("canvos-cache-"), "file");
    writeFileSync(notADir, "");
    const reference = await canvos(["validate"], { cwd, env: { CANVOS_CACHE_DIR: "" } });
    for (const dir of [notADir, join(notADir, "below")]) {
      const run = await canvos(["validate"], { cwd, env: { CANVOS_CACHE_DIR: dir } });
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toBe(reference.stdout);
      expect(run.stderr).toBe(reference.stderr);
    }
  });

  it("goes where XDG_CACHE_HOME or HOME says, and nowhere with CANVOS_CACHE_DIR empty", async () => {
    const cwd = argWorkspace();
    const home = folder("canvos-home-");
    const xdg = folder("canvos-xdg-");
    await canvos(["validate"], { cwd, env: { HOME: home, XDG_CACHE_HOME: xdg } });
    expect(cacheFiles(join(xdg, "canvos"))).toHaveLength(1);
    await canvos(["validate"], { cwd, env: { HOME: home } });
    expect(cacheFiles(join(home, ".cache", "canvos"))).toHaveLength(1);
    const none = folder("canvos-home-");
    await canvos(["validate"], { cwd, env: { HOME: none, CANVOS_CACHE_DIR: "" } });
    expect(readdirSync(none)).toEqual([]);
  });

  it("caches of other builds go once unused for a week", async () => {
    const cwd = argWorkspace();
    const cache = folder("canvos-cache-");
    mkdirSync(cache, { recursive: true });
    const old = join(cache, "0000000000000000-v8-x64-iso.v8");
    const recent = join(cache, "1111111111111111-v8-x64-iso.v8");
    const unrelated = join(cache, "notes.txt");
    for (const file of [old, recent, unrelated]) writeFileSync(file, "x");
    const eightDaysAgo = new Date(Date.now() - 8 * 24 * 3600 * 1000);
    utimesSync(old, eightDaysAgo, eightDaysAgo);
    utimesSync(unrelated, eightDaysAgo, eightDaysAgo);
    expect((await canvos(["validate"], { cwd, env: { CANVOS_CACHE_DIR: cache } })).exitCode).toBe(0);
    const left = readdirSync(cache).sort();
    expect(left).not.toContain("0000000000000000-v8-x64-iso.v8");
    expect(left).toContain("1111111111111111-v8-x64-iso.v8");
    expect(left).toContain("notes.txt");
    expect(left.filter((f) => f.startsWith(bundleId()))).toHaveLength(1);
  });
});
