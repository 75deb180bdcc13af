#!/usr/bin/env node
// The floor of any Node.js program that runs a build tool: spawn it with Node's own child_process,
// read its stderr, wait for it. Nothing else.   node bench/spawn-floor.cjs COMMAND [ARGS...]
// CommonJS, as bin/canvos.cjs: no ES module loader start-up.
"use strict";
const { spawn } = require("node:child_process");

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
child.stderr.on("data", () => {});
child.on("close", (code) => {
  process.exitCode = code ?? 1;
});
