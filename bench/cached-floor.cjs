#!/usr/bin/env node
// Runs a bundled floor program through canvos's own code-cache loader (bin/code-cache.cjs), so that
// the floor gets what canvos gets: node bench/cached-floor.cjs BUNDLE ARGS...
// BENCH_FLOOR_ID (the bundle's content id) and BENCH_FLOOR_CACHE (the cache folder) come from
// bench/run.mjs.
"use strict";
const { loadWithCache } = require("../bin/code-cache.cjs");

const [file] = process.argv.splice(2, 1);
loadWithCache({ file, id: process.env.BENCH_FLOOR_ID, dir: process.env.BENCH_FLOOR_CACHE, key: "floor" });
