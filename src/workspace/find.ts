// Which folder is the workspace: the nearest one, from where canvos runs upward, that holds an
// Earthfile, as git finds .git and npm finds package.json. Every command but `init` builds, checks
// or reads there, wherever in the workspace it was started.
//
// The Earthfile alone marks a workspace. An `.arg` without one is not: nothing could be built there
// (Earthly needs the Earthfile beside the steps and overlay it copies), and a stray `.arg` in a
// subfolder must not hide the workspace above it. It is named in the error, since it most likely
// comes from an older `canvos init` that wrote `.arg` alone.
import { lstatSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { EnvironmentError } from "../errors.js";

export const WORKSPACE_MARKER = "Earthfile";

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The folders from `from` up to the file system's root, nearest first. */
function upward(from: string): string[] {
  const dirs: string[] = [];
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    dirs.push(dir);
    if (dirname(dir) === dir) return dirs;
  }
}

/** The workspace holding `from`, or undefined when no folder on the way up has an Earthfile. */
export function findWorkspace(from: string): string | undefined {
  return upward(from).find((dir) => isFile(join(dir, WORKSPACE_MARKER)));
}

/** What to say when there is none: where canvos looked, and the two ways to get one. */
export function noWorkspace(from: string): { message: string; hint: string } {
  const argOnly = upward(from).find((dir) => isFile(join(dir, ".arg")));
  // An Earthfile that is a folder, a pipe or a device: named, or "has no Earthfile" would puzzle.
  const odd = upward(from).find((dir) => exists(join(dir, WORKSPACE_MARKER)));
  const message =
    `no canvos workspace here: neither ${resolve(from)} nor a folder above it has an ${WORKSPACE_MARKER}` +
    (odd !== undefined ? ` (${join(odd, WORKSPACE_MARKER)} is not a regular file)` : "");
  const hint =
    argOnly !== undefined
      ? `${join(argOnly, ".arg")} has no Earthfile beside it: run canvos init in ${argOnly} to add the build definition (it keeps your .arg), or cd into a CanvOS checkout`
      : "run canvos init to lay out a workspace in this folder, or cd into a CanvOS checkout (a folder with an Earthfile)";
  return { message, hint };
}

/** The workspace holding `from`; none is an EnvironmentError (exit 3): the place is wrong, not the configuration. */
export function requireWorkspace(from: string = process.cwd()): string {
  const found = findWorkspace(from);
  if (found !== undefined) return found;
  const { message, hint } = noWorkspace(from);
  throw new EnvironmentError(message, hint);
}

/**
 * A program path typed on the command line (--earthly-bin), made absolute from where canvos was
 * started, since it runs in the workspace. A bare name stays a name, looked up on PATH.
 */
export function typedProgram(path: string | undefined): string | undefined {
  return path === undefined || !path.includes("/") ? path : resolve(path);
}
