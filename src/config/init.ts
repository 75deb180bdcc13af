// `canvos init`: lays out a workspace in the current folder from the files the package ships (the
// build definition Earthly reads, the templates), then .arg from its template with the values given
// on the command line filled in. What is already there is kept unless --force.
import { constants } from "node:fs";
import { chmod, copyFile, lstat, mkdir, readdir, readFile, realpath, rm, stat, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { ConfigError, EnvironmentError } from "../errors.js";
import { fsReason, isFsError } from "../workspace/fs-errors.js";
import { loadConfig } from "./resolve.js";
import type { ResolveOptions } from "./types.js";
import { godotenvQuote } from "./arg-file.js";

/** The package's root: from tsc's dist/config/ and from the bundle's dist/bundle/ alike (scripts/bundle.mjs). */
const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * What a workspace holds besides .arg and user-data, copied from the package: everything the
 * Earthfile reads, and the templates. package.json's "files" ships each (test/unit/init.test.ts).
 */
export const WORKSPACE_LAYOUT = [
  "Earthfile",
  "Dockerfile",
  "steps",
  "overlay",
  "k8s_version.json",
  ".earthlyignore",
  ".arg.template",
  "user-data.template",
  "spectro-luet-auth.yaml.template",
] as const;

interface Outcome {
  /** A top-level name, with `/` for a folder. */
  entry: string;
  written: number;
  kept: number;
}

export async function runInit(request: ResolveOptions, options: { userData: boolean; force: boolean }): Promise<string[]> {
  if (request.argFile !== undefined) throw new ConfigError("init writes ./.arg; --arg-file does not apply", [], "run canvos init in the folder that should hold .arg");
  const cwd = request.cwd;
  const argExists = await exists(join(cwd, ".arg"));
  // Values given for an .arg that is kept would be dropped without a word: refused instead.
  if (argExists && !options.force && request.overrides.length > 0) {
    throw new ConfigError(
      ".arg already exists; nothing was written",
      request.overrides.map((o) => ({ where: o.flag, severity: "error", message: `${o.key} was not written: .arg is kept as it is` })),
      "edit .arg, or run canvos init --force to rewrite it (and every other file init lays out) from the package",
    );
  }
  // Check the values against the defaults alone, so a bad flag writes nothing.
  await loadConfig({ ...request, argFile: undefined, cwd: "/nonexistent-canvos-init" });

  let outcomes: Outcome[];
  try {
    outcomes = await layOut(cwd, argExists, request, options);
  } catch (error) {
    if (!isFsError(error)) throw error;
    throw new EnvironmentError(`cannot lay out the workspace: ${error.path ?? cwd}: ${fsReason(error)}`, "init writes in the current folder: make it writable (or move away what is in the way), or run canvos init in another");
  }

  const lines: string[] = [];
  const wrote = outcomes.filter((o) => o.written > 0).map((o) => describe(o, o.written));
  const kept = outcomes.filter((o) => o.kept > 0).map((o) => describe(o, o.kept));
  lines.push(wrote.length > 0 ? `wrote ${wrote.join(", ")}` : "wrote nothing: the workspace is complete");
  if (kept.length > 0) lines.push(`kept what was already here: ${kept.join(", ")} (canvos init --force replaces them with the package's)`);
  if (outcomes.find((o) => o.entry === "user-data")?.written === 1) lines.push("edit user-data: replace the edgeHostToken and password placeholders before building");
  lines.push("next: canvos validate");
  return lines;
}

async function layOut(cwd: string, argExists: boolean, request: ResolveOptions, options: { userData: boolean; force: boolean }): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  // Run in the package's own folder (a checkout of canvos), --force would delete each file it copies from.
  const ownFolder = (await realpath(cwd)) === (await realpath(PACKAGE_ROOT));
  for (const entry of WORKSPACE_LAYOUT) outcomes.push(await lay(entry, cwd, options.force && !ownFolder));

  const arg: Outcome = { entry: ".arg", written: 0, kept: 0 };
  if (argExists && !options.force) arg.kept = 1;
  else {
    const text = fillArgTemplate(await readFile(join(PACKAGE_ROOT, ".arg.template"), "utf8"), new Map(request.overrides.map((o) => [o.key, o.value])));
    // A new file, never written through a link left at its name.
    await rm(join(cwd, ".arg"), { force: true });
    await writeFile(join(cwd, ".arg"), text, { mode: 0o644, flag: "wx" });
    arg.written = 1;
  }
  outcomes.push(arg);

  if (options.userData) {
    const userData: Outcome = { entry: "user-data", written: 0, kept: 0 };
    // Its tokens and passwords are the user's: readable by them alone, as the reference advises.
    if (await place(join(PACKAGE_ROOT, "user-data.template"), join(cwd, "user-data"), options.force, 0o600)) userData.written = 1;
    else userData.kept = 1;
    outcomes.push(userData);
  }
  return outcomes;
}

function describe(outcome: Outcome, count: number): string {
  if (!outcome.entry.endsWith("/")) return outcome.entry;
  const total = outcome.written + outcome.kept;
  return count === total ? `${outcome.entry} (${total} file${total === 1 ? "" : "s"})` : `${outcome.entry} (${count} of ${total} files)`;
}

/** Copies one entry of the layout, a file or a folder, file by file: a folder keeps what it has and gains what it lacks. */
async function lay(entry: string, cwd: string, force: boolean): Promise<Outcome> {
  const from = join(PACKAGE_ROOT, entry);
  const isDir = (await stat(from)).isDirectory();
  const outcome: Outcome = { entry: isDir ? `${entry}/` : entry, written: 0, kept: 0 };
  for (const file of isDir ? await filesUnder(entry) : [entry]) {
    if (await place(join(PACKAGE_ROOT, file), join(cwd, file), force)) outcome.written++;
    else outcome.kept++;
  }
  return outcome;
}

/** The files below a folder of the package, relative to the package's root, in a stable order. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await readdir(join(PACKAGE_ROOT, dir), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

/**
 * Writes `to` from `from` unless something is at `to` already (a file, a folder, a link): false
 * then, and it stays as it is. With `force` it is replaced, a link itself rather than what it
 * points at. The steps keep the package's mode (executable).
 */
async function place(from: string, to: string, force: boolean, mode?: number): Promise<boolean> {
  await mkdir(dirname(to), { recursive: true });
  if (force) await rm(to, { force: true });
  try {
    // COPYFILE_EXCL: an existing name, even a dangling link, is kept, with no window to lose it in.
    await copyFile(from, to, constants.COPYFILE_EXCL);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  if (mode !== undefined) await chmod(to, mode);
  return true;
}

/** Sets each given key: replaces its line (commented out or not) or appends it. */
export function fillArgTemplate(template: string, values: ReadonlyMap<string, string>): string {
  const lines = template.split("\n");
  for (const [key, value] of values) {
    const line = `${key}=${quoteIfNeeded(value)}`;
    const index = lines.findIndex((l) => new RegExp(`^#?\\s*${key}=`).test(l));
    if (index === -1) lines.splice(lines.length - (lines.at(-1) === "" ? 1 : 0), 0, line);
    else lines[index] = line;
  }
  return lines.join("\n");
}

/** Plain words stay plain; anything else quoted the way godotenv (and canvos's reader) reads it back exactly. */
function quoteIfNeeded(value: string): string {
  return /^[A-Za-z0-9_./:@,+-]*$/.test(value) ? value : godotenvQuote(value);
}

/** Anything at the name, a dangling link included. */
async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
