// Files the configuration names that Earthly cannot reach. Earthly COPYs only from its build
// context (the workspace, minus what .earthlyignore drops), but users give PROXY_CERT_PATH as
// /etc/ssl/proxy.pem and CLUSTERCONFIG anywhere. Such a file is copied into STAGE_DIR for the run
// and Earthly gets that relative path; a file already inside the context is passed as it is.
import { constants, copyFileSync, mkdirSync, realpathSync, rmSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve as resolvePath, sep } from "node:path";
import type { Config, Source } from "../config/types.js";
import { atSources } from "../config/resolve.js";
import { ConfigError, EnvironmentError, type Problem } from "../errors.js";
import { fsReason } from "./fs-errors.js";
import { isMissingClusterConfig } from "../config/files.js";

/** Not under .canvos/ or build/: .earthlyignore keeps both out of Earthly's context. */
export const STAGE_DIR = ".canvos-stage";

// Folders canvos knows are outside Earthly's context (.earthlyignore); a file there is staged too.
const IGNORED_DIRS = [".canvos", "build", ".git", "node_modules", "dist"];

export interface StagedFile {
  /** The parameter, e.g. PROXY_CERT_PATH. */
  name: string;
  /** Absolute path of the user's file. */
  from: string;
  /** Relative to the workspace: what Earthly gets. */
  to: string;
}

export interface Staging {
  /** Build args to override: the staged relative paths. */
  args: Record<string, string>;
  files: StagedFile[];
}

interface PathParameter {
  name: "PROXY_CERT_PATH" | "CLUSTERCONFIG";
  stagedAs: string;
}

const PROXY_CERT: PathParameter = { name: "PROXY_CERT_PATH", stagedAs: `${STAGE_DIR}/proxy-ca.crt` };
const CLUSTER_CONFIG: PathParameter = { name: "CLUSTERCONFIG", stagedAs: `${STAGE_DIR}/spc.tgz` };

function insideContext(cwd: string, file: string): boolean {
  // Real paths: a symlink inside the workspace that points out of it would reach Earthly as a dangling link.
  let root: string;
  let target: string;
  try {
    root = realpathSync(cwd);
    target = realpathSync(file);
  } catch {
    return false;
  }
  const rel = relative(root, target);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return false;
  const first = rel.split(sep)[0] ?? "";
  return !IGNORED_DIRS.includes(first);
}

/**
 * Decides, without copying, what Earthly gets for each path parameter, so the dry run shows it.
 * A missing file is a ConfigError: the build was asked to use it.
 *
 * CLUSTERCONFIG that names a missing file: the ISO is built without a cluster definition, as the
 * reference builds it, and Earthly gets CLUSTERCONFIG="" so the plan shows what really runs;
 * checkFiles says so in a warning, for validate and the build alike. Commands that make no ISO
 * never read it: it passes through unchanged.
 */
export function planStaging(config: Config, cwd: string, buildsIso: boolean, sources?: Readonly<Record<string, Source>>): Staging {
  const staging: Staging = { args: {}, files: [] };
  const problems: Problem[] = [];
  const wanted: PathParameter[] = [PROXY_CERT, ...(buildsIso ? [CLUSTER_CONFIG] : [])];
  for (const parameter of wanted) {
    const value = config[parameter.name];
    if (value === "") continue;
    const from = resolvePath(cwd, value);
    let isFile: boolean;
    try {
      isFile = statSync(from).isFile();
    } catch (error) {
      if (parameter === CLUSTER_CONFIG && isMissingClusterConfig(error)) {
        staging.args[parameter.name] = "";
        continue;
      }
      problems.push({ where: parameter.name, severity: "error", message: `${value}: ${fsReason(error)}; the build needs this file` });
      continue;
    }
    if (!isFile) {
      problems.push({ where: parameter.name, severity: "error", message: `${value} is not a file` });
      continue;
    }
    if (insideContext(cwd, from)) {
      // Relative as Earthly needs it; a relative value is passed exactly as the user wrote it.
      if (isAbsolute(value)) staging.args[parameter.name] = relative(realpathSync(cwd), realpathSync(from)).split(sep).join("/");
      continue;
    }
    staging.args[parameter.name] = parameter.stagedAs;
    staging.files.push({ name: parameter.name, from, to: parameter.stagedAs });
  }
  if (problems.length > 0) {
    throw new ConfigError(
      problems.length === 1 ? "a file the build needs is missing" : "files the build needs are missing",
      atSources(problems, sources),
      "fix the path in the arg file or on the command line (canvos validate checks it)",
    );
  }
  return staging;
}

/** Copies the staged files in; call after the workspace lock is taken (the stage belongs to one run). */
export function stageFiles(cwd: string, staging: Staging): void {
  if (staging.files.length === 0) return;
  const dir = join(cwd, STAGE_DIR);
  try {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new EnvironmentError(`cannot create ${STAGE_DIR}/ in the workspace (${dir}): ${fsReason(error)}`, "the workspace must be writable for a build");
  }
  for (const file of staging.files) {
    try {
      // Into the fresh stage folder, never over (or through) something already at the name.
      copyFileSync(file.from, join(cwd, file.to), constants.COPYFILE_EXCL);
    } catch (error) {
      throw new EnvironmentError(`cannot copy ${file.name} (${file.from}) to ${file.to}: ${fsReason(error)}`);
    }
  }
}

/** Removes the stage after the run, whatever its end; nothing of it is worth keeping. */
export function clearStage(cwd: string, staging: Staging): void {
  if (staging.files.length === 0) return;
  try {
    rmSync(join(cwd, STAGE_DIR), { recursive: true, force: true });
  } catch {
    // A leftover stage is harmless: the next run replaces it.
  }
}
