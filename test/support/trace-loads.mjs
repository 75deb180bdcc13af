// `node --import ./trace-loads.mjs ...`: appends the URL of every module the ES module loader loads
// (canvos's files, bundle chunks, packages' entry points) to $CANVOS_TRACE_LOADS, one per line.
// For test/robustness/startup-imports.test.ts: what a command really loads, not what it might.
import { register } from "node:module";

register("./trace-loads-hooks.mjs", import.meta.url);
