// Resolves the configuration: built-in defaults < the arg file < command-line overrides, with the
// proxy variables falling back to the environment. Every problem is collected, so the user fixes
// them all in one go; resolveConfig keeps every value beside them (validate shows both), loadConfig
// throws them.
import { quote } from "../text.js";
import { relative, resolve as resolvePath, isAbsolute } from "node:path";
import { ConfigError, type Problem } from "../errors.js";
import { readRegularFile, UnreadableFileError } from "../workspace/safe-fs.js";
import { MAX_ARG_FILE_BYTES, decodeArgFile, expandValue, expansionBudget, looksLikeCredential, MAX_EXPANDED_TOTAL, MAX_EXPANDED_VALUE, parseArgText, sizeProblem } from "./arg-file.js";
import { parseProxyUrl, withProxyScheme } from "./proxy-url.js";
import { loadMatrix, type WorkspaceMatrix } from "./k8s-matrix.js";
import { PARAMETERS, parameterSpec, PARAMETER_NAMES } from "./parameters.js";
import { configFieldsSchema } from "./schema.js";
import { crossFieldProblems, type RuleProblem } from "./rules.js";
import { didYouMean } from "./suggest.js";
import type { Config, Override, ParameterName, ResolveOptions, ResolvedConfig, Source } from "./types.js";

/** Keys that are not parameters but that users of the reference write; said once, not fatal. */
const LEGACY_KEYS: Readonly<Record<string, (values: Map<string, string>) => string>> = {
  platform: (values) => `platform is not a canvos parameter: the platform is linux/${values.get("ARCH") ?? "amd64"}, taken from ARCH`,
};

interface Slot {
  value: string;
  source: Source;
  /** Defaults may name other keys ($OS_DISTRIBUTION); they are expanded once all else is known. */
  expandLater: boolean;
}

export interface ResolveExtras {
  /** The workspace's Earthfile, when it has one: every ARG name it declares, and what its reader found. */
  earthfile?: { file: string; declared: ReadonlySet<string>; problems: readonly Problem[] } | undefined;
  /** The workspace's Kubernetes version matrix (loadWorkspaceMatrix); without it, the package's. */
  matrix?: WorkspaceMatrix | undefined;
}

/** Lower-case spellings of parameters, as the environment has them (http_proxy): in an arg file the same parameter. */
const ALIASES: ReadonlyMap<string, string> = new Map(PARAMETERS.flatMap((spec) => (spec.env ?? []).filter((name) => name !== spec.name).map((name) => [name, spec.name] as const)));

/** The configuration as far as it resolves: every value, also the wrong ones, and every problem. */
export interface Resolution {
  /** As loadConfig returns it, but `config` holds only the values that are valid. */
  resolved: Omit<ResolvedConfig, "config"> & { config: Partial<Config> };
  /** Every catalogue parameter's value as text, valid or not (not masked). */
  text: Readonly<Record<string, string>>;
  /** What is wrong with each parameter that has an error. */
  invalid: ReadonlyMap<string, readonly string[]>;
  /** The errors, in file order; warnings are in `resolved.warnings`. */
  errors: Problem[];
}

/** The configuration, or a ConfigError with every problem found. */
export async function loadConfig(options: ResolveOptions, extras: ResolveExtras = {}): Promise<ResolvedConfig> {
  const { resolved, errors } = await resolveConfig(options, extras);
  if (errors.length > 0) {
    throw new ConfigError(errors.length === 1 ? "1 error in the configuration; nothing was built" : `${errors.length} errors in the configuration; nothing was built`, [...errors, ...resolved.warnings]);
  }
  return resolved as ResolvedConfig;
}

export async function resolveConfig(options: ResolveOptions, extras: ResolveExtras = {}): Promise<Resolution> {
  const problems: Problem[] = [...(options.commandLineProblems ?? []), ...(extras.matrix?.problems ?? [])];
  const warnings: Problem[] = [];
  const { cwd } = options;
  const declared = extras.earthfile?.declared;
  const extraNames = new Set([...(declared ?? [])].filter((name) => parameterSpec(name) === undefined && !ALIASES.has(name)));
  // What is wrong with each parameter, for validate's table beside the problems themselves.
  const invalid = new Map<string, string[]>();
  const mark = (key: string, message: string): void => {
    if (parameterSpec(key) === undefined && !extraNames.has(key)) return;
    invalid.set(key, [...(invalid.get(key) ?? []), message]);
  };
  warnings.push(...(extras.earthfile?.problems ?? []).map((p) => ({ ...p, severity: "warning" as const })));

  const slots = new Map<string, Slot>();
  for (const spec of PARAMETERS) slots.set(spec.name, { value: spec.default, source: { kind: "default" }, expandLater: spec.default.includes("$") });

  const overrideByKey = new Map<string, Override>();
  for (const override of options.overrides) {
    if (parameterSpec(override.key) === undefined && !extraNames.has(override.key)) {
      problems.push({ where: override.flag, severity: "error", message: `${override.key} is not a parameter${didYouMean(override.key, [...PARAMETER_NAMES, ...extraNames])}` });
      continue;
    }
    overrideByKey.set(override.key, override);
  }

  const argFile = await readArgFile(options, problems, warnings);
  const secretKeys = new Set<string>();
  const display = argFile ? displayPath(cwd, argFile.path) : "";
  const firstLine = new Map<string, number>();
  /** Where a key was set by its lower-case spelling (http_proxy), which its own name overrides. */
  const aliasLine = new Map<string, { line: number; name: string }>();
  if (argFile) {
    const parsed = parseArgText(argFile.text, display);
    problems.push(...parsed.problems);
    const fileValues = new Map<string, string>();
    const budget = expansionBudget();
    for (const entry of parsed.entries) {
      const where = `${display}:${entry.line}`;
      const lookup = (name: string): string | undefined =>
        overrideByKey.get(name)?.value ?? fileValues.get(name) ?? defaultOf(name, slots) ?? options.env[name];
      const { value, missing, used, tooLarge } = entry.expand ? expandValue(entry.raw, lookup, budget) : { value: entry.raw, missing: [], used: [], tooLarge: false };
      for (const name of missing) warnings.push({ where, severity: "warning", message: `${entry.key}: $${name} is not set anywhere; it expands to ""` });
      if (tooLarge) {
        problems.push({ where, severity: "error", message: `${entry.key}: its $VAR expansion grows past ${MAX_EXPANDED_VALUE / 1024} KiB (or the whole file's past ${MAX_EXPANDED_TOTAL / 1048576} MiB); an arg file value is a few words` });
        continue;
      }
      // A value built from a secret is a secret: masked wherever it shows, never on a command line.
      const fromSecret = used.find((name) => SECRET_NAME.test(name) || secretKeys.has(name) || (parameterSpec(name)?.sensitive === true && (lookup(name) ?? "") !== ""));
      if (fromSecret !== undefined) secretKeys.add(entry.key);
      else secretKeys.delete(entry.key);
      fileValues.set(entry.key, value);

      const legacy = LEGACY_KEYS[entry.key];
      if (legacy) {
        warnings.push({ where, severity: "warning", message: legacy(fileValues) });
        continue;
      }
      const canonical = ALIASES.get(entry.key);
      if (canonical !== undefined) {
        // As in the environment, where HTTP_PROXY wins over http_proxy.
        const own = firstLine.get(canonical);
        if (own !== undefined && !aliasLine.has(canonical)) {
          warnings.push({ where, severity: "warning", message: `${entry.key} is ignored: ${canonical} (line ${own}) is set, and wins, as in the environment` });
          continue;
        }
        fileValues.set(canonical, value);
        if (own === undefined) firstLine.set(canonical, entry.line);
        aliasLine.set(canonical, { line: entry.line, name: entry.key });
        slots.set(canonical, { value, source: { kind: "file", file: display, line: entry.line }, expandLater: false });
        continue;
      }
      const alias = aliasLine.get(entry.key);
      if (alias !== undefined) {
        warnings.push({ where: `${display}:${alias.line}`, severity: "warning", message: `${alias.name} is ignored: ${entry.key} (line ${entry.line}) is set, and wins, as in the environment` });
        aliasLine.delete(entry.key);
        firstLine.delete(entry.key);
      }
      if (parameterSpec(entry.key) === undefined && !extraNames.has(entry.key)) {
        problems.push({
          where,
          severity: "error",
          message: looksLikeCredential(entry.key)
            ? "unknown parameter (its name is not shown: it looks like a credential; is this the right file?)"
            : `unknown parameter ${entry.key}${didYouMean(entry.key, [...PARAMETER_NAMES, ...extraNames])}; Earthly would silently ignore it`,
        });
        continue;
      }
      const earlier = firstLine.get(entry.key);
      if (earlier !== undefined) warnings.push({ where, severity: "warning", message: `${entry.key} is set again (first at line ${earlier}); this later value wins` });
      else firstLine.set(entry.key, entry.line);
      slots.set(entry.key, { value, source: { kind: "file", file: display, line: entry.line }, expandLater: false });
    }
  }

  for (const [key, override] of overrideByKey) {
    slots.set(key, { value: override.value, source: { kind: "flag", flag: override.flag }, expandLater: false });
    secretKeys.delete(key);
  }
  // A secret in a parameter that shows in image names, paths and logs cannot be kept hidden: refused.
  for (const key of secretKeys) {
    const spec = parameterSpec(key);
    if (spec === undefined || spec.sensitive === true) continue;
    mark(key, "holds a secret");
    problems.push({ where: locate(slots.get(key)?.source), severity: "error", message: `${key} takes its value from a variable whose name marks it as a secret; ${key} shows in image names, paths and logs, so it cannot hold one (pass secrets with --secret NAME)` });
  }

  if (declared) {
    for (const [key, slot] of slots) {
      if (slot.source.kind !== "file" && slot.source.kind !== "flag") continue;
      if (declared.has(key)) continue;
      mark(key, `not declared by ${extras.earthfile?.file ?? "the Earthfile"}`);
      problems.push({
        where: locate(slot.source),
        severity: "error",
        message: `${key} is not declared by ${extras.earthfile?.file ?? "the Earthfile"}${didYouMean(key, declared)}; Earthly would silently drop its value`,
      });
    }
  }

  for (const spec of PARAMETERS) {
    const slot = slots.get(spec.name);
    if (!spec.env || slot?.source.kind !== "default") continue;
    for (const variable of spec.env) {
      const value = options.env[variable];
      if (value !== undefined && value !== "") {
        slots.set(spec.name, { value, source: { kind: "env", variable }, expandLater: false });
        break;
      }
    }
  }

  for (const [key, slot] of slots) {
    if (!slot.expandLater) continue;
    const { value } = expandValue(slot.value, (name) => (name === key ? undefined : slots.get(name)?.value ?? options.env[name]));
    slots.set(key, { ...slot, value, expandLater: false });
  }
  for (const spec of PARAMETERS) {
    const slot = slots.get(spec.name);
    if (spec.group === "proxy" && spec.kind === "url" && slot) slots.set(spec.name, { ...slot, value: withProxyScheme(slot.value) });
  }

  const where = (key: string): string => locate(slots.get(key)?.source);
  const raw: Record<string, string> = {};
  for (const spec of PARAMETERS) raw[spec.name] = slots.get(spec.name)?.value ?? spec.default;

  const parsed = configFieldsSchema.safeParse(raw);
  const valid: Partial<Config> = {};
  const failed = new Set<string>();
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? "");
      failed.add(key);
      mark(key, issue.message);
      problems.push({ where: where(key), severity: "error", message: `${key}: ${issue.message}${defaultNote(slots.get(key))}` });
    }
  }
  const typed = parsed.success ? parsed.data : undefined;
  for (const spec of PARAMETERS) {
    if (failed.has(spec.name)) continue;
    const value = typed ? typed[spec.name] : raw[spec.name];
    (valid as Record<string, unknown>)[spec.name] = spec.kind === "boolean" && typeof value === "string" ? value === "true" : value;
  }
  const matrix = extras.matrix?.matrix ?? loadMatrix();
  const rules = crossFieldProblems(valid, { providers: options.builds?.providers ?? true, matrix });
  for (const rule of rules) {
    const list = rule.severity === "error" ? problems : warnings;
    const at = ruleLocation(rule, slots);
    if (rule.severity === "error") {
      mark(rule.key, rule.message);
      if (at !== rule.key) mark(at, rule.message);
    }
    // validate and doctor speak for every command: say which ones the rule stops.
    const scope = rule.providers && options.builds === undefined ? "; this stops the provider-image builds (build-all, provider), not iso or base" : "";
    list.push({ where: where(at), severity: rule.severity, message: `${rule.key}: ${rule.message}${defaultNote(slots.get(rule.key))}${scope}` });
  }
  problems.sort(byLocation);

  const sources: Record<string, Source> = {};
  for (const spec of PARAMETERS) sources[spec.name] = slots.get(spec.name)?.source ?? { kind: "default" };
  const extra: Record<string, string> = {};
  const extraSources: Record<string, Source> = {};
  for (const name of extraNames) {
    const slot = slots.get(name);
    if (slot) {
      extra[name] = slot.value;
      extraSources[name] = slot.source;
    }
  }
  const text: Record<string, string> = {};
  for (const spec of PARAMETERS) {
    const value = (valid as Record<string, unknown>)[spec.name];
    text[spec.name] = value === undefined ? (raw[spec.name] ?? "") : String(value);
  }
  return {
    resolved: { config: valid, sources, extra, extraSources, argFile: argFile?.path ?? null, warnings, secretKeys, matrix },
    text,
    invalid,
    errors: problems,
  };
}

/**
 * Where a rule's problem is reported: at the value its message says to change, wherever that was
 * set. A default cannot be pointed at: then at a value that set the rule off, its arg-file line
 * first (the line to change, as with any other value from the file), else its flag or variable;
 * only when all are defaults, at the rule's own parameter.
 */
function ruleLocation(rule: RuleProblem, slots: ReadonlyMap<string, Slot>): ParameterName {
  const kind = (key: string) => slots.get(key)?.source.kind;
  if (kind(rule.key) !== "default") return rule.key;
  return rule.related.find((key) => kind(key) === "file") ?? rule.related.find((key) => kind(key) !== "default") ?? rule.key;
}

async function readArgFile(options: ResolveOptions, problems: Problem[], warnings: Problem[]): Promise<{ path: string; text: string } | undefined> {
  const explicit = options.argFile !== undefined;
  const path = resolvePath(options.cwd, options.argFile ?? ".arg");
  const label = explicit ? `--arg-file ${options.argFile}` : displayPath(options.cwd, path);
  try {
    // Read with a limit just past the arg file's own, so a huge file is never loaded into memory.
    const bytes = await readRegularFile(path, MAX_ARG_FILE_BYTES + 1);
    const decoded = decodeArgFile(bytes, displayPath(options.cwd, path));
    if ("problem" in decoded) {
      problems.push(decoded.problem);
      return undefined;
    }
    return { path, text: decoded.text };
  } catch (error) {
    if (error instanceof UnreadableFileError) {
      problems.push(
        error.code === "EFBIG"
          ? (sizeProblem(error.size ?? MAX_ARG_FILE_BYTES + 1, displayPath(options.cwd, path)) as Problem)
          : { where: label, severity: "error", message: error.code === "EISDIR" ? `${path} is a directory, not an arg file` : `${path} is not a regular file` },
      );
      return undefined;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !explicit) {
      warnings.push({ where: label, severity: "warning", message: "no .arg file here; using the built-in defaults (canvos init writes one)" });
      return undefined;
    }
    const reason = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (error as Error).message;
    problems.push({ where: label, severity: "error", message: `cannot read ${path}: ${reason}` });
    return undefined;
  }
}

/** Arg-file problems in line order first, then the command line's, as a compiler lists them. */
function byLocation(a: Problem, b: Problem): number {
  const key = (p: Problem): [number, string, number] => {
    const m = /^(.*):(\d+)$/.exec(p.where);
    return m ? [0, m[1] as string, Number(m[2])] : [1, "", 0];
  };
  const [ka, kb] = [key(a), key(b)];
  return ka[0] - kb[0] || ka[1].localeCompare(kb[1]) || ka[2] - kb[2];
}

function defaultOf(name: string, slots: Map<string, Slot>): string | undefined {
  const spec = parameterSpec(name);
  if (!spec) return undefined;
  const slot = slots.get(name);
  return slot?.expandLater ? undefined : spec.default;
}

function defaultNote(slot: Slot | undefined): string {
  return slot?.source.kind === "default" ? ` (${quote(slot.value)} is the default; set it in .arg or with a flag)` : "";
}

export function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

/**
 * Problems reported at a parameter's name, moved to where the user set it (`.arg:12`,
 * `--CLUSTERCONFIG`), as the configuration's own problems are; a default stays at the name.
 */
export function atSources(problems: readonly Problem[], sources: Readonly<Record<string, Source>> | undefined): Problem[] {
  return problems.map((problem) => {
    const source = sources?.[problem.where];
    return source === undefined || source.kind === "default" ? problem : { ...problem, where: locate(source), message: `${problem.where}: ${problem.message}` };
  });
}

export function locate(source: Source | undefined): string {
  switch (source?.kind) {
    case "file":
      return `${source.file}:${source.line}`;
    case "flag":
      return source.flag;
    case "env":
      return `$${source.variable}`;
    default:
      return "(default)";
  }
}

/** Names that mark a value as secret: every one of its values is, whole. */
export const SECRET_NAME = /PASSWORD|PASSWD|PASSPHRASE|TOKEN|SECRET|CREDENTIAL|PRIVATE|API_?KEY|ACCESS_?KEY|AUTH|_KEY$|^KEY$|_PW$|^PW$|_PASS$|^PASS$/i;

/**
 * The part of a value that must never be shown, or undefined: all of a secret-looking key's value
 * (or of a key in `secretKeys`, whose value came from a secret), the secret part of a proxy URL as
 * its one reader (proxy-url.ts) finds it, and all of a proxy value that reader rejects, since then
 * nobody can tell where its password is. The one notion of "sensitive": masking, argv and output
 * redaction all derive from it.
 */
export function secretPart(name: string, value: string, secretKeys?: ReadonlySet<string>): { start: number; end: number } | undefined {
  if (value === "") return undefined;
  if (SECRET_NAME.test(name) || secretKeys?.has(name) === true) return { start: 0, end: value.length };
  if (!parameterSpec(name)?.sensitive) return undefined;
  const parsed = parseProxyUrl(value);
  return parsed.ok ? parsed.url.secret : { start: 0, end: value.length };
}

/** The value as it may be shown: its secret part, if any, replaced by ****. */
export function maskValue(name: string, value: string, secretKeys?: ReadonlySet<string>): string {
  const part = secretPart(name, value, secretKeys);
  return part === undefined ? value : `${value.slice(0, part.start)}****${value.slice(part.end)}`;
}

export type { Config, ParameterName };
