#!/usr/bin/env node
// The floor of any Node.js program that must keep a child's whole output: spawn it, and write each
// chunk of its stderr to a file as it comes (one synchronous write per chunk, as canvos's log).
// No splitting, no cleaning, no parsing.   node bench/node-floor.mjs LOG COMMAND [ARGS...]
import { spawn } from "node:child_process";
import { closeSync, openSync, writeSync } from "node:fs";

const [log, command, ...args] = process.argv.slice(2);
const fd = openSync(log, "w");
const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
child.stderr.on("data", (chunk) => {
  for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
});
child.on("close", (code) => {
  closeSync(fd);
  process.exitCode = code ?? 1;
});
