// ARGs that the workspace's own Earthfile declares beyond canvos's catalogue: a user who adds
// `ARG MY_PACKAGES` to the Earthfile may set MY_PACKAGES in .arg. Filled in by the Earthfile reader.
import type { ResolveExtras } from "./resolve.js";

export async function earthfileExtras(_cwd: string): Promise<ResolveExtras> {
  return {};
}
