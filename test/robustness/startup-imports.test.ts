// `canvos --help` and `--version` must stay fast (bench/RESULTS.md, start-up), and every command
// runs only the packages it uses: zod, execa, yaml and ora cost more start-up than all of canvos's
// own code. chalk (some 1.5 ms of module set-up) comes with whatever prints in colour, and with the
// build module, whose reporters share style.ts. Checked three ways:
// - statically, on tsc's dist/: the entry point's static imports reach commander and nothing
//   heavier (a dynamic import() is the lazy path this test asks for);
// - by running tsc's dist/ with a loader hook (test/support/trace-loads.mjs) that records every
//   module loaded (packages show as node_modules/ paths);
// - by running the bundle bin/canvos.cjs loads with V8's coverage on: which of its functions ran,
//   mapped to the module each sits in by esbuild's `// node_modules/...` markers. The bundle holds
//   every module, but one reached only through import() runs on first use, or not at all.
import { chmodSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { argWorkspace, CANVOS, ROOT } from "../support/cli.js";
import { KAIROS_RELEASE, loadImage } from "../support/images.js";
import { uniqueTag } from "../support/services.js";

const STATIC_IMPORT = /^\s*(?:import|export)\s+(?:[^'"]*?\s+from\s+)?["']([^"']+)["'];?\s*$/gm;

function staticGraph(entry: string): { files: string[]; packages: Set<string> } {
  const files: string[] = [];
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    files.push(file);
    for (const match of readFileSync(file, "utf8").matchAll(STATIC_IMPORT)) {
      const specifier = match[1] ?? "";
      if (specifier.startsWith(".")) visit(resolve(dirname(file), specifier));
      else if (!specifier.startsWith("node:")) packages.add(specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : (specifier.split("/")[0] ?? specifier));
    }
  };
  visit(entry);
  return { files, packages };
}

describe("start-up loads only what --help and --version need", () => {
  it("the entry point's static imports reach commander and no other package", () => {
    const { files, packages } = staticGraph(join(ROOT, "dist", "cli", "main.js"));
    expect(files.length).toBeGreaterThan(3);
    expect([...packages].sort()).toEqual(["commander"]);
  });

  it("the error renderer is not on the start-up path", () => {
    const { files } = staticGraph(join(ROOT, "dist", "cli", "main.js"));
    const relative = files.map((f) => f.slice(ROOT.length));
    expect(relative).not.toContain("dist/cli/handle-error.js");
    expect(relative).not.toContain("dist/report/style.js");
  });
});

const TRACE = fileURLToPath(new URL("../support/trace-loads.mjs", import.meta.url));
const INSTANT_EARTHLY = join(ROOT, "bench", "stand-in", "earthly-instant");
const packageOf = (path: string): string | undefined => path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.[1];

type Build = "tsc" | "bundle";
interface Used {
  packages: string[];
  exitCode: number | undefined;
}

/** The packages whose code one run of canvos ran, and its exit code. */
function packagesUsed(build: Build, args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<Used> {
  return build === "tsc" ? packagesLoaded(args, cwd, env) : packagesRun(args, cwd, env);
}

const { WRAPPER_HEAD } = createRequire(import.meta.url)(join(ROOT, "bin", "code-cache.cjs")) as { WRAPPER_HEAD: string };

async function packagesRun(args: readonly string[], cwd: string, env: Record<string, string>): Promise<Used> {
  const coverage = join(cwd, ".coverage");
  const result = await execa(process.execPath, [CANVOS, ...args], {
    cwd,
    // Through the code-cache loader (its own cache folder): offsets are then the wrapped script's.
    env: { PATH: process.env["PATH"], HOME: process.env["HOME"], NO_COLOR: "1", NODE_V8_COVERAGE: coverage, CANVOS_CACHE_DIR: join(cwd, ".cache"), ...env },
    extendEnv: false,
    reject: false,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const packages = new Set<string>();
  for (const name of readdirSync(coverage)) {
    const report = JSON.parse(readFileSync(join(coverage, name), "utf8")) as { result: Array<{ url: string; functions: Array<{ ranges: Array<{ startOffset: number; count: number }> }> }> };
    const bundle = report.result.find((r) => /\/dist\/bundle\/canvos-[0-9a-f]+\.cjs$/.test(r.url));
    if (!bundle) continue;
    const source = readFileSync(fileURLToPath(bundle.url), "latin1");
    const markers = [...source.matchAll(/^\/\/ (node_modules\/\S+|src\/\S+)$/gm)].map((m) => ({ at: m.index ?? 0, path: m[1] ?? "" }));
    const moduleAt = (offset: number): string | undefined => markers.findLast((m) => m.at <= offset)?.path;
    for (const fn of bundle.functions) {
      const range = fn.ranges[0];
      // The wrapper itself (offset 0) ran, of course; esbuild's helpers sit before any marker.
      if (range === undefined || range.count === 0 || range.startOffset === 0) continue;
      const name = packageOf(moduleAt(range.startOffset - WRAPPER_HEAD.length) ?? "");
      if (name) packages.add(name);
    }
  }
  expect(packages.size, `no coverage of the bundle for ${args.join(" ")}: ${String(result.stderr)}`).toBeGreaterThan(0);
  return { packages: [...packages].sort(), exitCode: result.exitCode };
}

/** The packages one run of tsc's dist/ loaded, and its exit code. */
async function packagesLoaded(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<Used> {
  const traceFile = join(cwd, ".loads");
  writeFileSync(traceFile, "");
  // dist/cli/main.js exports main(). After -e, "--" keeps node from taking --help and --version
  // for its own.
  const entry = ["--input-type=module", "-e", `import { main } from ${JSON.stringify(join(ROOT, "dist", "cli", "main.js"))}; main(process.argv.slice(1));`, "--"];
  const result = await execa(process.execPath, ["--import", TRACE, ...entry, ...args], {
    cwd,
    env: { PATH: process.env["PATH"], HOME: process.env["HOME"], NO_COLOR: "1", CANVOS_TRACE_LOADS: traceFile, ...env },
    extendEnv: false,
    reject: false,
    // Piped, not a terminal: what CI and scripts see.
    stdio: ["ignore", "pipe", "pipe"],
  });
  const urls = readFileSync(traceFile, "utf8").split("\n").filter((u) => u.startsWith("file:"));
  const packages = new Set<string>();
  for (const url of urls) {
    const name = packageOf(fileURLToPath(url));
    if (name) packages.add(name);
  }
  return { packages: [...packages].sort(), exitCode: result.exitCode };
}

describe.each<Build>(["tsc", "bundle"])("what each command loads (%s build)", (build) => {
  it("--help and --version load commander and no other package", async () => {
    const cwd = argWorkspace("canvos-loads-");
    for (const args of [["--help"], ["--version"], ["iso", "--help"]]) {
      const run = await packagesUsed(build, args, cwd);
      expect(run.exitCode, args.join(" ")).toBe(0);
      expect(run.packages, args.join(" ")).toEqual(["commander"]);
    }
  });

  it("validate without user-data or spectro-luet-auth.yaml loads no yaml, execa or ora", async () => {
    const run = await packagesUsed(build, ["validate"], argWorkspace("canvos-loads-"));
    expect(run.exitCode).toBe(0);
    expect(run.packages).toEqual(["chalk", "commander", "zod"]);
  });

  it("validate with a user-data file loads yaml to check it", async () => {
    const cwd = argWorkspace("canvos-loads-");
    writeFileSync(join(cwd, "user-data"), "#cloud-config\nstylus:\n  site:\n    name: demo\n");
    const run = await packagesUsed(build, ["validate"], cwd);
    expect(run.exitCode).toBe(0);
    expect(run.packages).toContain("yaml");
  });

  it("profile and a dry run start no process, so they load no execa", async () => {
    const cwd = argWorkspace("canvos-loads-");
    for (const [args, packages] of [
      [["profile"], ["commander", "zod"]],
      [["iso", "--dry-run", "--json"], ["chalk", "commander", "zod"]],
    ] as const) {
      const run = await packagesUsed(build, args, cwd, { CANVOS_EARTHLY_BIN: INSTANT_EARTHLY });
      expect(run.exitCode, args.join(" ")).toBe(0);
      expect(run.packages, args.join(" ")).toEqual(packages);
    }
  });

  it("a build whose stderr is no terminal loads execa, not ora", async () => {
    const cwd = argWorkspace("canvos-loads-");
    chmodSync(INSTANT_EARTHLY, 0o755);
    // The stand-in writes the ISO only; canvos then checks the installer image +iso leaves in the
    // local Docker, so the test provides one under a tag of its own.
    const tag = uniqueTag("loads");
    loadImage(`palette-installer-image:v4.3.2-${tag}`, "amd64", [{ files: { "etc/os-release": KAIROS_RELEASE("ubuntu") } }]);
    const run = await packagesUsed(build, ["iso", `--CUSTOM_TAG=${tag}`], cwd, { CANVOS_EARTHLY_BIN: INSTANT_EARTHLY });
    expect(run.exitCode).toBe(0);
    expect(run.packages).toContain("execa");
    expect(run.packages).not.toContain("ora");
    expect(run.packages).not.toContain("cli-spinners");
    expect(run.packages).not.toContain("yaml");
  });
});
