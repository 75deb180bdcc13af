#!/usr/bin/env node
// `npm run build`, second step: bundle the CLI with esbuild into one CommonJS file,
// dist/bundle/canvos-<id>.cjs (named by its content; meta.json names it), which bin/canvos.cjs
// compiles with V8's code cache.
//
// Why one CommonJS file and not ES module chunks: Node 20 can cache the compiled code of a script
// (vm.Script's cachedData) but not of an ES module, and compiling was the largest part of what
// `canvos iso` spent before Earthly started (bench/RESULTS.md). Laziness is kept: every module
// reached only through a dynamic import() is wrapped by esbuild and runs on first use, so
// `canvos --help` still runs no zod, execa, yaml or ora code. An ES module entry point would also
// cost Node's ESM loader start-up on every run.
//
// tsc (the first step) still type-checks and emits dist/: the unit tests and the start-up import
// test read it.
//
// dist/bundle/ sits two levels below the package root, like dist/<dir>/*.js: every
// `new URL("../../...", import.meta.url)` (package.json, k8s_version.json, the templates) resolves
// the same from the bundle as from tsc's output.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const outdir = `${root}dist/bundle`;

const result = await build({
  absWorkingDir: root,
  entryPoints: ["src/cli/main.ts"],
  outfile: `${outdir}/canvos.cjs`,
  write: false,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  // A CommonJS file has no import.meta: its URL comes from __filename, which bin/canvos.cjs passes.
  define: { "import.meta.url": "__canvosModuleUrl" },
  banner: { js: 'var __canvosModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  // Source maps for CANVOS_DEBUG's stack traces (bin/canvos.cjs turns them on): src/ lines.
  sourcemap: true,
  // No keepNames: it adds a defineProperty call per function at load (~10 ms); errors.ts names its
  // classes itself. Not minified: the code cache makes parsing free, and names stay readable.
  // ASCII only (esbuild's default, stated because bin/canvos.cjs reads the file as latin1).
  charset: "ascii",
  logLevel: "warning",
});

const output = (suffix) => {
  const file = result.outputFiles.find((f) => f.path.endsWith(suffix));
  if (!file) throw new Error(`esbuild wrote no ${suffix}`);
  return file.text;
};
// The code cache is keyed by this id, and the file named by it: V8 checks only a cached script's
// length, so a cache made for another build of the same length would be taken for this one.
const code = output("canvos.cjs");
const id = createHash("sha256").update(code).digest("hex").slice(0, 16);
const main = `canvos-${id}.cjs`;
mkdirSync(outdir, { recursive: true });
writeFileSync(`${outdir}/${main}.map`, output("canvos.cjs.map"));
writeFileSync(`${outdir}/${main}`, code.replace(/\/\/# sourceMappingURL=canvos\.cjs\.map\s*$/, `//# sourceMappingURL=${main}.map\n`));

// meta.json last, and by rename: a canvos starting meanwhile (a test run in the same checkout)
// reads either the old pair or the new one, never a bundle that is still being written.
let previous;
try {
  previous = JSON.parse(readFileSync(`${outdir}/meta.json`, "utf8")).main;
} catch {
  previous = undefined;
}
writeFileSync(`${outdir}/meta.json.tmp`, JSON.stringify({ main, id }) + "\n");
renameSync(`${outdir}/meta.json.tmp`, `${outdir}/meta.json`);

// Older builds go, but for the one just replaced, which a run that read the old meta.json may be
// opening now; and the ES module chunks of the layout before this one.
const keep = new Set([main, previous, "meta.json"].flatMap((f) => (f ? [f, `${f}.map`] : [])));
for (const file of readdirSync(outdir)) if (!keep.has(file)) rmSync(`${outdir}/${file}`, { force: true });
rmSync(`${root}dist/bundle-inputs.json`, { force: true });
