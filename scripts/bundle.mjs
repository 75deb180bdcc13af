#!/usr/bin/env node
// `npm run build`, second step: bundle the CLI with esbuild into dist/bundle/, one ESM file per
// lazily loaded part (splitting keeps every dynamic import() a split point). Node then resolves and
// reads a handful of files instead of ~400 (zod, execa, yaml, ora and their dependencies), which is
// most of what `canvos iso` spent before Earthly even started (bench/RESULTS.md).
//
// tsc (the first step) still type-checks and emits dist/: the unit tests and the start-up import
// test read it. bin/canvos.js runs the bundle.
//
// dist/bundle/ sits two levels below the package root, like dist/<dir>/*.js: every
// `new URL("../../...", import.meta.url)` (package.json, k8s_version.json, the templates) resolves
// the same from a chunk as from tsc's output.
import { build } from "esbuild";
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const outdir = `${root}dist/bundle`;

const result = await build({
  absWorkingDir: root,
  entryPoints: { main: "src/cli/main.ts" },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // Source maps for CANVOS_DEBUG's stack traces (bin/canvos.js turns them on): src/ lines, not chunk lines.
  sourcemap: true,
  // errors.ts names each error after its class (new.target.name); a bundle must not rename classes.
  keepNames: true,
  chunkNames: "chunk-[hash]",
  // Bundled CommonJS dependencies (execa's cross-spawn, which, ...) call require() for Node's
  // built-ins; an ES module has none, so every chunk gets one.
  banner: { js: 'import { createRequire as __canvosCreateRequire } from "node:module";\nconst require = __canvosCreateRequire(import.meta.url);' },
  // Not minified: it saved no measurable time (bench: within the noise) and kept names readable.
  logLevel: "warning",
  metafile: true,
});

// Chunks are named by content hash: remove those of earlier builds only now, after the new ones are
// written, so that a canvos started meanwhile (a test run in the same checkout) never finds none.
const written = new Set(Object.keys(result.metafile.outputs).map((f) => basename(f)));
for (const file of readdirSync(outdir)) if (!written.has(file)) rmSync(`${outdir}/${file}`, { force: true });

// Which sources went into which chunk: test/robustness/startup-imports.test.ts reads it to tell
// which packages a command loads from the bundle. Beside the bundle, not in it.
const chunks = Object.fromEntries(
  Object.entries(result.metafile.outputs)
    .filter(([file]) => file.endsWith(".js"))
    .map(([file, output]) => [basename(file), Object.keys(output.inputs)]),
);
writeFileSync(`${root}dist/bundle-inputs.json`, JSON.stringify(chunks, null, 1) + "\n");
