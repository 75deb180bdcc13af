// The files canvos writes for one Earthly run under .canvos/ (the arg file with the values no
// command line may carry, the empty secret and env files that stand in for Earthly's defaults).
// Each is created anew, mode 0600, exclusively: whatever sits at its name (a link someone left to
// make canvos write elsewhere) is removed first, never written through.
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { EnvironmentError } from "../errors.js";
import { fsReason, isFsError, makeDir } from "./fs-errors.js";
import { writeExclusiveSync } from "./safe-fs.js";

export function writeRunFiles(cwd: string, files: Readonly<Record<string, string>>): void {
  for (const [relative, content] of Object.entries(files)) {
    const path = join(cwd, relative);
    try {
      makeDir(dirname(path));
      rmSync(path, { force: true });
      writeExclusiveSync(path, content, 0o600);
    } catch (error) {
      if (!isFsError(error)) throw error;
      throw new EnvironmentError(`cannot write the run's file ${path}: ${fsReason(error)}`, "canvos needs a writable .canvos/ folder in the workspace");
    }
  }
}

/** After the run, whatever its end; never throws. */
export function removeRunFiles(cwd: string, files: Readonly<Record<string, string>>): void {
  for (const relative of Object.keys(files)) rmSync(join(cwd, relative), { force: true });
}
