// What the workspace's own Earthfile declares. A user who adds `ARG MY_PACKAGES` there may set
// MY_PACKAGES in .arg; a catalogue parameter the Earthfile no longer declares is an error, since
// Earthly would drop its value without a word.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { declaredArgNames, readEarthfile } from "../earthfile/reader.js";
import { loadConfig, type ResolveExtras } from "./resolve.js";
import type { ResolveOptions, ResolvedConfig } from "./types.js";

/** Far above any real Earthfile; past it the file is not read and nothing is assumed. */
const MAX_EARTHFILE_BYTES = 2 * 1024 * 1024;

export async function earthfileExtras(cwd: string): Promise<ResolveExtras> {
  let text: string;
  try {
    const bytes = await readFile(join(cwd, "Earthfile"));
    if (bytes.length > MAX_EARTHFILE_BYTES) return {};
    text = bytes.toString("utf8");
  } catch {
    // No Earthfile here: the build will say so; the configuration can still be checked.
    return {};
  }
  const model = readEarthfile(text, "Earthfile");
  return { earthfile: { file: "Earthfile", declared: declaredArgNames(model), problems: model.problems } };
}

/** The configuration as every command sees it: the arg file and flags, checked against the Earthfile beside them. */
export async function loadWorkspaceConfig(request: ResolveOptions): Promise<ResolvedConfig> {
  return loadConfig(request, await earthfileExtras(request.cwd));
}
