// The planned artifacts of an earlier run, moved aside before Earthly starts: an ISO Earthly did
// not write in this run can then never pass as its output. After a success they go; after a
// failure that wrote nothing new they come back, so a failed build never leaves the user with
// less than they had; after one that did write something, both stay and the user is told.
import { existsSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { EnvironmentError } from "../errors.js";
import { fsReason, isFsError } from "./fs-errors.js";

export const PREVIOUS_SUFFIX = ".previous";

export class PreviousArtifacts {
  private constructor(
    private readonly cwd: string,
    private readonly planned: readonly string[],
    /** The planned paths whose earlier file now sits at `<path>.previous`. */
    private readonly moved: readonly string[],
  ) {}

  static setAside(cwd: string, planned: readonly string[]): PreviousArtifacts {
    const moved: string[] = [];
    for (const path of planned) {
      const file = join(cwd, path);
      if (!existsSync(file)) continue;
      try {
        rmSync(file + PREVIOUS_SUFFIX, { force: true, recursive: true });
        renameSync(file, file + PREVIOUS_SUFFIX);
      } catch (error) {
        if (!isFsError(error)) throw error;
        // What was moved already goes back: nothing has run yet.
        new PreviousArtifacts(cwd, planned, moved).settle(false);
        throw new EnvironmentError(`cannot move ${path} aside before the build: ${fsReason(error)}`, "build/ must be writable: canvos sets an earlier run's files aside so that they cannot pass as this run's");
      }
      moved.push(path);
    }
    return new PreviousArtifacts(cwd, planned, moved);
  }

  holds(path: string): boolean {
    return this.moved.includes(path);
  }

  /** Never throws: it runs on the way out. Returns what the user should be told, if anything. */
  settle(succeeded: boolean): string | undefined {
    if (this.moved.length === 0) return undefined;
    const wroteNew = this.planned.some((path) => existsSync(join(this.cwd, path)));
    const problems: string[] = [];
    for (const path of this.moved) {
      const file = join(this.cwd, path);
      try {
        if (succeeded) rmSync(file + PREVIOUS_SUFFIX, { force: true });
        else if (!wroteNew) renameSync(file + PREVIOUS_SUFFIX, file);
      } catch (error) {
        problems.push(`${path}${PREVIOUS_SUFFIX}: ${fsReason(error)}`);
      }
    }
    if (problems.length > 0) return `could not tidy up the previous run's artifacts (${problems.join("; ")})`;
    if (succeeded || !wroteNew) return undefined;
    return `the previous run's ${this.moved.join(", ")} ${this.moved.length === 1 ? "is" : "are"} kept as ${this.moved.map((p) => p + PREVIOUS_SUFFIX).join(", ")}`;
  }
}
