// A temp copy of the project's build definition (Earthfile, Dockerfile, steps/, overlay/,
// k8s_version.json), the folder Earthly would read, plus whatever files a test adds to it.
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const PROJECT_ROOT = new URL("../../", import.meta.url).pathname;
const BUILD_DEFINITION = ["Earthfile", "Dockerfile", "steps", "overlay", "k8s_version.json"];

/** Returns the folder; `files` maps workspace-relative paths to their content. */
export function buildDefinitionCopy(files: Record<string, string> = {}, prefix = "canvos-ws-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const entry of BUILD_DEFINITION) cpSync(join(PROJECT_ROOT, entry), join(dir, entry), { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}
