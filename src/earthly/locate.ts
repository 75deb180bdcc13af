// Finds the Earthly binary: --earthly-bin, then CANVOS_EARTHLY_BIN, then `earthly` (or the
// community fork's `earth`) on PATH. Looking on PATH ourselves gives a clear error before anything
// runs, instead of an ENOENT from the spawn.
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { EnvironmentError } from "../errors.js";

/** Binary names tried on PATH, in order: Earthly, then EarthBuild (the maintained fork). */
export const EARTHLY_NAMES = ["earthly", "earth"] as const;

const INSTALL_HINT =
  "install Earthly v0.8 (https://earthly.dev/get-earthly) or the EarthBuild fork's `earth`, or point canvos at it with --earthly-bin PATH or CANVOS_EARTHLY_BIN";

export interface LocateOptions {
  flag?: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface LocatedEarthly {
  path: string;
  /** Where the choice came from, for the plan and error messages. */
  from: "--earthly-bin" | "CANVOS_EARTHLY_BIN" | "PATH";
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function explicit(path: string, from: LocatedEarthly["from"], options: LocateOptions): LocatedEarthly {
  // A bare name (no slash) is looked up on PATH, as a shell would.
  const found = path.includes("/") ? resolve(options.cwd, path) : onPath(path, options.env);
  if (found === undefined || !isExecutableFile(found)) {
    throw new EnvironmentError(`the Earthly binary given by ${from} (${path}) does not exist or is not executable`, INSTALL_HINT);
  }
  return { path: found, from };
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env["PATH"] ?? "").split(delimiter)) {
    if (dir === "" || !isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

export function locateEarthly(options: LocateOptions): LocatedEarthly {
  if (options.flag !== undefined && options.flag !== "") return explicit(options.flag, "--earthly-bin", options);
  const fromEnv = options.env["CANVOS_EARTHLY_BIN"];
  if (fromEnv !== undefined && fromEnv !== "") return explicit(fromEnv, "CANVOS_EARTHLY_BIN", options);
  for (const name of EARTHLY_NAMES) {
    const found = onPath(name, options.env);
    if (found !== undefined) return { path: found, from: "PATH" };
  }
  throw new EnvironmentError("Earthly was not found: neither `earthly` nor `earth` is on PATH", INSTALL_HINT);
}
