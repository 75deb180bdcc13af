// Earthly and EarthBuild, each in its own names: locate, the docker runner's image and argv, the
// proxy-mode BuildKit host, doctor and the failure hints; the stand-in plays either engine.
import { spawnSync } from "node:child_process";
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadWorkspaceConfig } from "../../src/config/earthfile-args.js";
import { runDoctor, type DoctorDeps } from "../../src/doctor/checks.js";
import { buildkitHint, engineOfBinary, engineOfVersion } from "../../src/earthly/engine.js";
import { failureError } from "../../src/build/failure.js";
import { engineChoice, runnerSettings } from "../../src/earthly/runner-options.js";
import { createStrategy, prepareRunner, type BuildkitHelper, type PreparedRunner } from "../../src/earthly/runner-setup.js";
import { childEnv, type ToolResult } from "../../src/earthly/runner.js";
import { ConfigError } from "../../src/errors.js";
import type { EarthlyOutcome } from "../../src/earthly/output.js";
import type { BuildPlan } from "../../src/plan/plan.js";
import { workspace } from "../support/cli.js";

const STAND_IN = resolve("test/bin/earthly");
/** A temp folder removed when the test ends (test/support/cli.ts). */
const tmp = (): string => workspace("canvos-engines-");
/** A bin directory with the stand-in under `name` (a link, as an install's alias would be). */
function standIn(name: "earthly" | "earth"): string {
  const dir = tmp();
  symlinkSync(STAND_IN, join(dir, name));
  return join(dir, name);
}
const helper: BuildkitHelper = { name: "canvos-buildkitd-test", host: "tcp://0.0.0.0:41234", containerHost: "tcp://0.0.0.0:8372", stop: async () => {} };
const config = async (cwd: string) => (await loadWorkspaceConfig({ cwd, overrides: [], env: {} })).config;
const ENGINES = [
  { engine: "earthly", bin: "earthly", hostVar: "EARTHLY_BUILDKIT_HOST", otherVar: "EARTH_BUILDKIT_HOST", image: "gcr.io/spectro-images-public/earthly/earthly:v0.8.5", daemon: "earthly-buildkitd", title: "Earthly v0.8.15" },
  { engine: "earthbuild", bin: "earth", hostVar: "EARTH_BUILDKIT_HOST", otherVar: "EARTHLY_BUILDKIT_HOST", image: "earthbuild/earthbuild:v0.8.18", daemon: "earth-buildkitd", title: "EarthBuild v0.8.18" },
] as const;

describe("the engine of a binary", () => {
  it("is told by its name, a link to `earth`, or its version line", () => {
    expect(engineOfBinary(standIn("earth"))).toBe("earthbuild");
    expect(engineOfBinary(standIn("earthly"))).toBe("earthly");
    // EarthBuild's `earthly` alias: a link whose target is `earth`.
    const dir = tmp();
    writeFileSync(join(dir, "earth"), "#!/bin/sh\n", { mode: 0o755 });
    symlinkSync(join(dir, "earth"), join(dir, "earthly"));
    expect(engineOfBinary(join(dir, "earthly"))).toBe("earthbuild");
    expect(engineOfVersion("earth version v0.8.18 3f6c1e0 linux/amd64; Debian 12")).toBe("earthbuild");
    expect(engineOfVersion("earthly version v0.8.15 c5d8ad5 linux/amd64")).toBe("earthly");
    expect(engineOfVersion("something else")).toBeUndefined();
  });

  it("--engine beats CANVOS_ENGINE; a wrong value is a usage error", () => {
    expect(engineChoice(undefined, {})).toBe("auto");
    expect(engineChoice(undefined, { CANVOS_ENGINE: "earthbuild" })).toBe("earthbuild");
    expect(engineChoice("earthly", { CANVOS_ENGINE: "earthbuild" })).toBe("earthly");
    expect(() => engineChoice(undefined, { CANVOS_ENGINE: "earth" })).toThrow(ConfigError);
    expect(() => engineChoice(undefined, { CANVOS_ENGINE: "earth" })).toThrow(/CANVOS_ENGINE earth is not one of auto, earthly, earthbuild/);
    expect(runnerSettings({ runner: "docker", engine: "earthbuild" }, {}).engine).toBe("earthbuild");
    expect(runnerSettings({ buildkitImage: "mirror.example.com/earthbuild/buildkitd:v0.8.18" }, {}).buildkitImage).toBe("mirror.example.com/earthbuild/buildkitd:v0.8.18");
    expect(() => runnerSettings({ buildkitImage: "--privileged" }, {})).toThrow(/invalid --buildkit-image/);
  });

  it("build-arg sources of both names are kept from the child", () => {
    const env = childEnv({ EARTH_BUILD_ARGS: "A=1", EARTHLY_BUILD_ARGS: "B=2", EARTH_SECRETS: "S=x", EARTH_ARG_FILE_PATH: "x", KEEP: "1" });
    expect(env).toEqual({ KEEP: "1" });
  });
});

describe.each(ENGINES)("$engine", (e) => {
  it("a local binary is located and named as its engine; proxy mode sets its BuildKit host variable, which it reads without warnings", async () => {
    const cwd = tmp();
    const bin = standIn(e.bin);
    const prepared = await prepareRunner({ runner: "auto", secrets: [], ci: false }, { env: { PATH: join(bin, "..") }, cwd, earthlyBin: undefined, dryRun: false, config: await config(cwd) });
    expect(prepared).toMatchObject({ kind: "native", engine: e.engine, earthly: bin });
    const { strategy, env } = createStrategy(prepared, { runner: "auto", secrets: [], ci: false }, { PATH: process.env["PATH"] }, {}, helper);
    expect(env[e.hostVar]).toBe(helper.host);
    expect(env[e.otherVar]).toBeUndefined();
    // The stand-in, as the engine it is called as, records the host it would use.
    const record = join(cwd, "record.json");
    const inv = strategy.build({ earthly: bin, flags: [], target: "+iso", buildArgs: {}, secretKeys: new Set<string>(), cwd, env: { ...env, FAKE_EARTHLY_RECORD: record } });
    const run = spawnSync(inv.file, inv.args, { cwd, env: inv.env, encoding: "utf8" });
    const got = JSON.parse(readFileSync(record, "utf8")) as { engine: string; buildkitHost: string };
    expect(got).toMatchObject({ engine: e.engine, buildkitHost: helper.host });
    expect(run.stderr).not.toMatch(/deprecated/);
  });

  it("the docker runner uses the engine's image and passes its BuildKit host variable", async () => {
    const cwd = tmp();
    const settings = { runner: "docker" as const, engine: e.engine, secrets: [], ci: false };
    const prepared = await prepareRunner(settings, { env: {}, cwd, earthlyBin: undefined, dryRun: true, config: await config(cwd) });
    expect(prepared).toMatchObject({ kind: "docker", engine: e.engine, image: e.image, earthly: e.bin });
    const { strategy } = createStrategy(prepared, settings, {}, {}, helper);
    const inv = strategy.build({ earthly: e.bin, flags: [], target: "+iso", buildArgs: {}, secretKeys: new Set<string>(), cwd, env: {} });
    expect(inv.args).toContain(`${e.hostVar}=${helper.containerHost}`);
    expect(inv.args.join(" ")).not.toContain(`${e.otherVar}=`);
    expect(inv.args[inv.args.indexOf(e.image) - 1]).not.toBe("-e");
    expect(inv.args).toContain(e.image);
  });

  it("the BuildKit failure hints name its container and variable", () => {
    const plan = { argv: [standIn(e.bin)], target: "+iso" } as unknown as BuildPlan;
    const outcome = { errors: [], lastLines: [] } as unknown as EarthlyOutcome;
    const unreachable = failureError(6, outcome, plan, "/tmp/log");
    expect(unreachable.hint).toBe(buildkitHint(e.engine, 6));
    expect(unreachable.hint).toContain(`(${e.daemon})`);
    expect(unreachable.hint).toContain(e.hostVar);
    const crashed = failureError(7, outcome, plan, "/tmp/log");
    expect(crashed.hint).toContain(`docker logs ${e.daemon}`);
    expect(crashed.hint).toContain(e.engine === "earthbuild" ? "earth-cache" : "earthly-cache");
  });

  it("doctor says which engine and version it found, from the stand-in's own version line", async () => {
    const cwd = tmp();
    const bin = standIn(e.bin);
    const real: DoctorDeps["runTool"] = async (file, args) => {
      if (file !== bin) return { exitCode: 1, stdout: "", stderr: "", notFound: true, timedOut: false };
      const r = spawnSync(file, [...args], { encoding: "utf8" });
      return { exitCode: r.status ?? undefined, stdout: r.stdout, stderr: r.stderr, notFound: false, timedOut: false } as ToolResult;
    };
    const deps: DoctorDeps = { runTool: real, freeBytes: async () => 100 * 1024 ** 3, binfmtDir: "/nonexistent", hostArch: "amd64" };
    const report = await runDoctor({ request: { cwd, overrides: [], env: { PATH: join(bin, "..") } }, runner: "auto" }, deps);
    expect(report.checks.find((c) => c.id === "earthly")).toMatchObject({ status: "ok", detail: `${e.title} at ${bin} (runner: native)` });
  });

  it("doctor for the docker runner checks the engine's image", async () => {
    const calls: string[] = [];
    const deps: DoctorDeps = {
      async runTool(file, args) {
        calls.push([file, ...args].join(" "));
        const out = args[0] === "info" ? "24.0.7\t/var/lib/docker\tx86_64" : "";
        return { exitCode: 0, stdout: out, stderr: "", notFound: false, timedOut: false };
      },
      freeBytes: async () => 100 * 1024 ** 3,
      binfmtDir: "/nonexistent",
      hostArch: "amd64",
    };
    const report = await runDoctor({ request: { cwd: tmp(), overrides: [], env: { PATH: "/nonexistent" } }, runner: "docker", engine: e.engine }, deps);
    expect(calls).toContain(`docker image inspect --format {{.Id}} ${e.image}`);
    expect(report.checks.find((c) => c.id === "earthly")?.detail).toMatch(new RegExp(`^${e.title.split(" ")[0]} v0\\.8\\.\\d+ runs in its container`));
  });
});

describe("the stand-in as EarthBuild", () => {
  it("prefers EARTH_* and warns about each EARTHLY_* it still honours, as v0.8 does", () => {
    const cwd = tmp();
    const bin = standIn("earth");
    const record = join(cwd, "r.json");
    const run = spawnSync(bin, ["+iso"], { cwd, encoding: "utf8", env: { PATH: process.env["PATH"], FAKE_EARTHLY_RECORD: record, EARTHLY_BUILDKIT_HOST: "tcp://old:1" } });
    expect(run.stderr).toContain("Warning: EARTHLY_BUILDKIT_HOST is deprecated and will be removed in v0.9; use EARTH_BUILDKIT_HOST");
    expect(JSON.parse(readFileSync(record, "utf8"))).toMatchObject({ buildkitHost: "tcp://old:1" });
    spawnSync(bin, ["+iso"], { cwd, encoding: "utf8", env: { PATH: process.env["PATH"], FAKE_EARTHLY_RECORD: record, EARTHLY_BUILDKIT_HOST: "tcp://old:1", EARTH_BUILDKIT_HOST: "tcp://new:2" } });
    expect(JSON.parse(readFileSync(record, "utf8"))).toMatchObject({ buildkitHost: "tcp://new:2" });
    expect(spawnSync(bin, ["--version"], { encoding: "utf8" }).stdout).toMatch(/^earth version v0\.8\.18 /);
    expect(spawnSync(standIn("earthly"), ["--version"], { encoding: "utf8" }).stdout).toMatch(/^earthly version v0\.8\.15 /);
  });
});
