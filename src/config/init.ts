// `canvos init`: the templates, with the values given on the command line filled in.
import { readFile, writeFile, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { resolve as resolvePath } from "node:path";
import { ConfigError, type Problem } from "../errors.js";
import { loadConfig } from "./resolve.js";
import type { ResolveOptions } from "./types.js";
import { godotenvQuote } from "./arg-file.js";

const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export async function runInit(request: ResolveOptions, options: { userData: boolean; force: boolean }): Promise<string[]> {
  if (request.argFile !== undefined) throw new ConfigError("init writes ./.arg; --arg-file does not apply", [], "run canvos init in the folder that should hold .arg");
  const targets = [{ name: ".arg", template: ".arg.template" }];
  if (options.userData) targets.push({ name: "user-data", template: "user-data.template" });

  const existing: Problem[] = [];
  for (const t of targets) {
    if (!options.force && (await exists(resolvePath(request.cwd, t.name)))) {
      existing.push({ where: t.name, severity: "error", message: "already exists; nothing was written (use --force to overwrite)" });
    }
  }
  if (existing.length > 0) throw new ConfigError(existing.length === 1 ? "a file already exists" : "files already exist", existing);

  // Check the values against the defaults alone, so a bad flag writes nothing.
  await loadConfig({ ...request, argFile: undefined, cwd: "/nonexistent-canvos-init" });

  const written: string[] = [];
  for (const t of targets) {
    let text = await readFile(resolvePath(PACKAGE_ROOT, t.template), "utf8");
    if (t.name === ".arg") text = fillArgTemplate(text, new Map(request.overrides.map((o) => [o.key, o.value])));
    await writeFile(resolvePath(request.cwd, t.name), text, { mode: t.name === "user-data" ? 0o600 : 0o644 });
    written.push(`wrote ${t.name}`);
  }
  if (options.userData) written.push("edit user-data: replace the edgeHostToken and password placeholders before building");
  written.push("next: canvos validate");
  return written;
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

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
