"use strict";
// Loads a CommonJS bundle through V8's code cache: a run saves what it compiled, the next runs
// that take the same path load that instead of compiling (bench/RESULTS.md). The cache is only
// ever an optimisation: a missing, stale, corrupt or unwritable one means the bundle is compiled
// as without it. Used by bin/canvos.cjs, and by the bench for its execa floor.
const { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } = require("node:fs");
const { createRequire } = require("node:module");
const { dirname, join } = require("node:path");
const vm = require("node:vm");

/** The same wrapper Node puts around a CommonJS file; its length shifts every offset V8 reports. */
const WRAPPER_HEAD = "(function (exports, require, module, __filename, __dirname) {";

/**
 * The exports of `file`, compiled with the cache `<dir>/<id>-<V8>-<arch>-<key>.v8`. `id` must change
 * with the file's content: V8 checks only a cached script's length.
 */
function loadWithCache({ file, id, dir, key }) {
  const cacheFile = join(dir, `${id}-${process.versions.v8}-${process.arch}-${key}.v8`);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // Read as latin1, which an esbuild bundle is (it escapes every non-ASCII character): Node 20
  // decodes that at a third of UTF-8's cost.
  const source = `${WRAPPER_HEAD}${readFileSync(file, "latin1")}\n})`;
  const script = new vm.Script(source, { filename: file, cachedData });
  const loaded = { exports: {} };
  script.runInThisContext().call(loaded.exports, loaded.exports, createRequire(file), loaded, file, dirname(file));
  if (cachedData === undefined || script.cachedDataRejected) {
    // After the run, so that the cache holds what the run compiled; only after a run that
    // succeeded, whose path is the one worth keeping.
    process.once("exit", (code) => {
      if (code === 0) saveCache(dir, cacheFile, id, script);
    });
  }
  return loaded.exports;
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

module.exports = { loadWithCache, WRAPPER_HEAD };
