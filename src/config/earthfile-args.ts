// What the workspace's own Earthfile declares. A user who adds `ARG MY_PACKAGES` there may set
// MY_PACKAGES in .arg; a catalogue parameter the Earthfile no longer declares is an error, since
// Earthly would drop its value without a word.
import { readRegularFile } from "../workspace/safe-fs.js";
import { join } from "node:path";
import { declaredArgNames, readEarthfile } from "../earthfile/reader.js";
import { loadConfig, type ResolveExtras } from "./resolve.js";
import { loadWorkspaceMatrix } from "./k8s-matrix.js";
import type { ResolveOptions, ResolvedConfig } from "./types.js";
import type { EarthfileModel } from "../earthfile/types.js";

/** Far above any real Earthfile; past it the file is not read and nothing is assumed. */
const MAX_EARTHFILE_BYTES = 2 * 1024 * 1024;

/** The workspace's Earthfile as read once for a run: its model, or why it could not be read. */
export type WorkspaceEarthfile = { model: EarthfileModel } | { unreadable: string };

/** What the workspace's build definition says about the configuration: the Earthfile's ARGs and the version matrix it reads. */
export async function earthfileExtras(cwd: string): Promise<ResolveExtras> {
  return (await readBuildDefinition(cwd)).extras;
}

async function readBuildDefinition(cwd: string): Promise<{ extras: ResolveExtras; earthfile: WorkspaceEarthfile }> {
  const matrix = await loadWorkspaceMatrix(cwd);
  let text: string;
  try {
    text = (await readRegularFile(join(cwd, "Earthfile"), MAX_EARTHFILE_BYTES)).toString("utf8");
  } catch (error) {
    // No Earthfile here (or a FIFO, a device, a huge file): the build will say so; the
    // configuration can still be checked.
    return { extras: { matrix }, earthfile: { unreadable: (error as Error).message } };
  }
  const model = readEarthfile(text, "Earthfile");
  return { extras: { earthfile: { file: "Earthfile", declared: declaredArgNames(model), problems: model.problems }, matrix }, earthfile: { model } };
}

/** The configuration, and the Earthfile it was checked against, for a command that also reads the build definition. */
export async function loadWorkspace(request: ResolveOptions): Promise<{ resolved: ResolvedConfig; earthfile: WorkspaceEarthfile }> {
  const { extras, earthfile } = await readBuildDefinition(request.cwd);
  return { resolved: await loadConfig(request, extras), earthfile };
}

/** The configuration as every command sees it: the arg file and flags, checked against the Earthfile beside them. */
export async function loadWorkspaceConfig(request: ResolveOptions): Promise<ResolvedConfig> {
  return (await loadWorkspace(request)).resolved;
}
