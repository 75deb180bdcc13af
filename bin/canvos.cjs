#!/usr/bin/env node
"use strict";
// Starts canvos: loads the bundle (scripts/bundle.mjs) with V8's code cache, then calls its main().
//
// CommonJS, and no import of canvos's own code, so that Node starts no ES module loader (~8 ms) and
// this file runs before anything else. The code cache lets V8 skip compiling the bundle: a run
// saves what it compiled, the next runs of the same command load that (bench/RESULTS.md). It
// lives in the user's cache folder, one file per command, and is only ever an optimisation: a
// missing, stale, corrupt or unwritable cache means the bundle is compiled as without one.
const { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } = require("node:fs");
const { createRequire } = require("node:module");
const { dirname, join } = require("node:path");
const vm = require("node:vm");

const bundleDir = join(__dirname, "..", "dist", "bundle");
const args = process.argv.slice(2);

/** Where caches go: CANVOS_CACHE_DIR (empty: none), else $XDG_CACHE_HOME/canvos, else ~/.cache/canvos. */
function cacheDir(env) {
  if (env.CANVOS_CACHE_DIR !== undefined) return env.CANVOS_CACHE_DIR === "" ? undefined : env.CANVOS_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "canvos");
  return env.HOME ? join(env.HOME, ".cache", "canvos") : undefined;
}

/**
 * Which cache a run uses. A cache holds only the functions that the run which made it compiled, so
 * runs that take different paths keep different ones: one per command (or top-level flag such as
 * --version), and one more for its dry run and its help, which never reach the build code.
 */
function cacheKey(argv) {
  const first = (argv[0] ?? "").replace(/^--?/, "");
  const name = /^[A-Za-z][A-Za-z0-9-]{0,31}$/.test(first) ? first : "none";
  const path = argv.includes("--help") || argv.includes("-h") ? "-help" : argv.includes("--dry-run") ? "-dry-run" : "";
  return name + path;
}

/** The bundle's name and id; a checkout that was never built gets a way out, not a stack trace. */
function readMeta() {
  try {
    return JSON.parse(readFileSync(join(bundleDir, "meta.json"), "utf8"));
  } catch (error) {
    process.stderr.write(`canvos: cannot start: ${join(bundleDir, "meta.json")} is missing or unreadable (${error.code ?? error.message})\n`);
    process.stderr.write(`  This copy of canvos is not built: run \`npm install\` (or \`npm run build\`) in ${join(__dirname, "..")}\n`);
    // 3: the environment (here the installation), as README's exit codes say.
    process.exit(3);
  }
}

function load() {
  const meta = readMeta();
  const file = join(bundleDir, meta.main);
  const dir = cacheDir(process.env);
  // Under CANVOS_DEBUG, Node's own loader: stack traces through the source map, no cache.
  if (process.env.CANVOS_DEBUG || dir === undefined) {
    if (process.env.CANVOS_DEBUG) process.setSourceMapsEnabled(true);
    return require(file);
  }
  const cacheFile = join(dir, `${meta.id}-${process.versions.v8}-${process.arch}-${cacheKey(args)}.v8`);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // The same wrapper Node puts around a CommonJS file. Read as latin1, which the bundle is (esbuild
  // escapes every non-ASCII character): Node 20 decodes that at a third of UTF-8's cost.
  const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, "latin1")}\n})`;
  const script = new vm.Script(source, { filename: file, cachedData });
  const bundle = { exports: {} };
  script.runInThisContext().call(bundle.exports, bundle.exports, createRequire(file), bundle, file, dirname(file));
  if (cachedData === undefined || script.cachedDataRejected) {
    // After the run, so that the cache holds what the command compiled; only after a run that
    // succeeded, whose path is the one worth keeping.
    process.once("exit", (code) => {
      if (code === 0) saveCache(dir, cacheFile, meta.id, script);
    });
  }
  return bundle.exports;
}

function saveCache(dir, cacheFile, id, script) {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Written whole, then renamed: a run starting meanwhile reads the old cache or the new one.
    const temporary = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
    renameSync(temporary, cacheFile);
    // Caches of other builds go once unused for a week: not at once, as two installed versions of
    // canvos would then remove each other's on every run.
    const weekAgo = Date.now() - 7 * 24 * 3600 * 1000;
    for (const name of readdirSync(dir)) {
      if (name.startsWith(`${id}-`) || !(name.endsWith(".v8") || name.endsWith(".tmp"))) continue;
      if (statSync(join(dir, name)).mtimeMs < weekAgo) rmSync(join(dir, name), { force: true });
    }
  } catch {
    // A cache that cannot be written costs the next run its compile time, nothing else.
  }
}

load().main(args);
