#!/usr/bin/env node
"use strict";
// Starts canvos: loads the bundle (scripts/bundle.mjs) with V8's code cache (code-cache.cjs), then
// calls its main().
//
// CommonJS, and no import of canvos's own code, so that Node starts no ES module loader (~8 ms) and
// this file runs before anything else. The cache lives in the user's cache folder, one file per
// command.
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { loadWithCache } = require("./code-cache.cjs");

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
  return loadWithCache({ file, id: meta.id, dir, key: cacheKey(args) });
}

load().main(args);
