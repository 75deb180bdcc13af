// What the workspace's own Earthfile declares. A user who adds `ARG MY_PACKAGES` there may set
// MY_PACKAGES in .arg; a catalogue parameter the Earthfile no longer declares is an error, since
// Earthly would drop its value without a word.
import { readRegularFile } from "../workspace/safe-fs.js";
import { join } from "node:path";
import { declaredArgNames, readEarthfile } from "../earthfile/reader.js";
import { loadConfig, type ResolveExtras } from "./resolve.js";
import { loadWorkspaceMatrix } from "./k8s-matrix.js";
import type { ResolveOptions, ResolvedConfig } from "./types.js";

/** Far above any real Earthfile; past it the file is not read and nothing is assumed. */
const MAX_EARTHFILE_BYTES = 2 * 1024 * 1024;

/** What the workspace's build definition says about the configuration: the Earthfile's ARGs and the version matrix it reads. */
export async function earthfileExtras(cwd: string): Promise<ResolveExtras> {
  const matrix = await loadWorkspaceMatrix(cwd);
  let text: string;
  try {
    text = (await readRegularFile(join(cwd, "Earthfile"), MAX_EARTHFILE_BYTES)).toString("utf8");
  } catch {
    // No Earthfile here (or a FIFO, a device, a huge file): the build will say so; the
    // configuration can still be checked.
    return { matrix };
  }
  const model = readEarthfile(text, "Earthfile");
  return { earthfile: { file: "Earthfile", declared: declaredArgNames(model), problems: model.problems }, matrix };
}

/** The configuration as every command sees it: the arg file and flags, checked against the Earthfile beside them. */
export async function loadWorkspaceConfig(request: ResolveOptions): Promise<ResolvedConfig> {
  return loadConfig(request, await earthfileExtras(request.cwd));
}
