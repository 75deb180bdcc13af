// The loader hook of trace-loads.mjs. It runs on the loader's own thread, so it writes straight to
// the file rather than back to the traced process.
import { appendFileSync } from "node:fs";

export async function load(url, context, nextLoad) {
  const file = process.env.CANVOS_TRACE_LOADS;
  if (file) appendFileSync(file, url + "\n");
  return nextLoad(url, context);
}
