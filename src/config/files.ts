// Checks of the files the configuration names or that sit beside the Earthfile: user-data,
// the proxy CA certificate, the cluster definition and the luet registry credentials.
// yaml (through ./yaml.js) is imported where a YAML file is parsed, not here: a workspace without
// user-data or spectro-luet-auth.yaml (the common case) never pays for loading it (bench/, start-up).
import { lstat } from "node:fs/promises";
import { X509Certificate } from "node:crypto";
import { resolve as resolvePath } from "node:path";
import type { Problem } from "../errors.js";
import type { Config, Source } from "./types.js";
import { atSources } from "./resolve.js";
import { printable } from "../text.js";
import { readHead, readRegularFile, UnreadableFileError } from "../workspace/safe-fs.js";

export interface FileCheck {
  /** What the file is, e.g. "user-data". */
  role: string;
  path: string;
  status: "ok" | "absent" | "invalid" | "warning";
  detail: string;
}

export interface FileReport {
  files: FileCheck[];
  problems: Problem[];
  /** Values read from files that must be masked wherever canvos prints anything. */
  secrets: string[];
}

const MAX_TEXT_FILE = 4 * 1024 * 1024;
/** The placeholders the templates ship with; a file still holding them was never filled in. */
const PLACEHOLDERS: ReadonlyArray<{ pattern: RegExp; what: string }> = [
  { pattern: /x{6,}/i, what: "a template placeholder (xxxx…)" },
  { pattern: /^#{3,}$/, what: "the template placeholder ####" },
  { pattern: /^<[^<>]+>$/, what: "a template placeholder <…>" },
];

/**
 * `iso: false` for builds that make no ISO: they never read user-data or the cluster definition.
 * A path left out of `config` (its value is invalid) is not checked.
 */
export async function checkFiles(
  config: Partial<Pick<Config, "PROXY_CERT_PATH" | "CLUSTERCONFIG">>,
  cwd: string,
  options: { iso?: boolean; sources?: Readonly<Record<string, Source>> } = {},
): Promise<FileReport> {
  const iso = options.iso ?? true;
  const report: FileReport = { files: [], problems: [], secrets: [] };
  if (iso) await checkUserData(resolvePath(cwd, "user-data"), "user-data", report);
  if (config.PROXY_CERT_PATH !== undefined && config.PROXY_CERT_PATH !== "") await checkCertificate(resolvePath(cwd, config.PROXY_CERT_PATH), config.PROXY_CERT_PATH, report);
  if (iso && config.CLUSTERCONFIG !== undefined && config.CLUSTERCONFIG !== "") await checkClusterConfig(resolvePath(cwd, config.CLUSTERCONFIG), config.CLUSTERCONFIG, report);
  await checkLuetAuth(resolvePath(cwd, "spectro-luet-auth.yaml"), "spectro-luet-auth.yaml", report);
  await checkEarthlyDefaults(cwd, report);
  report.problems = atSources(report.problems, options.sources);
  return report;
}

type Read = { text: string } | { missing: true } | { error: string };

async function readText(path: string): Promise<Read> {
  try {
    const bytes = await readRegularFile(path, MAX_TEXT_FILE);
    if (bytes.includes(0)) return { error: "is not a text file" };
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\uFEFF/, "") };
  } catch (error) {
    if (error instanceof UnreadableFileError) return { error: error.message };
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { missing: true };
    if (code === "EACCES") return { error: "cannot be read (permission denied)" };
    if (error instanceof TypeError) return { error: "is not UTF-8 text" };
    return { error: printable((error as Error).message) };
  }
}

function add(report: FileReport, check: FileCheck, problems: Problem[] = []): void {
  report.files.push(check);
  report.problems.push(...problems);
}

async function checkUserData(path: string, label: string, report: FileReport): Promise<void> {
  const read = await readText(path);
  if ("missing" in read) return add(report, { role: "user-data", path: label, status: "absent", detail: "optional; the ISO carries no Palette settings" });
  if ("error" in read) return add(report, { role: "user-data", path: label, status: "invalid", detail: read.error }, [{ where: label, severity: "error", message: `user-data ${read.error}` }]);
  const { LineCounter, parseDocument, isMap } = await import("./yaml.js");
  const problems: Problem[] = [];
  const firstLine = read.text.split(/\r?\n/, 1)[0]?.trim();
  if (firstLine !== "#cloud-config") problems.push({ where: `${label}:1`, severity: "error", message: "the first line must be #cloud-config (Kairos ignores the file otherwise)" });
  const lines = new LineCounter();
  const doc = parseDocument(read.text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  for (const error of doc.errors) {
    const line = error.linePos?.[0]?.line ?? lines.linePos(error.pos[0]).line;
    problems.push({ where: `${label}:${line}`, severity: "error", message: `invalid YAML: ${error.message.split("\n")[0]}` });
  }
  if (doc.errors.length === 0) {
    if (!isMap(doc.contents)) problems.push({ where: `${label}:1`, severity: "error", message: "must be a YAML mapping (stylus:, users:, ...)" });
    else {
      for (const found of findPlaceholders(doc.contents, [])) {
        const line = lines.linePos(found.offset).line;
        problems.push({ where: `${label}:${line}`, severity: "error", message: `${found.path} still holds ${found.what}: replace it with your own value` });
      }
      const site = doc.getIn(["stylus", "site"]);
      if (site === undefined) problems.push({ where: label, severity: "warning", message: "no stylus.site section: the device will not know where to register" });
    }
  }
  const errors = problems.filter((p) => p.severity === "error").length;
  add(report, { role: "user-data", path: label, status: errors > 0 ? "invalid" : problems.length > 0 ? "warning" : "ok", detail: errors > 0 ? `${errors} problem(s)` : "cloud-config YAML" }, problems);
}

interface FoundPlaceholder {
  path: string;
  what: string;
  offset: number;
}

function findPlaceholders(node: unknown, path: string[]): FoundPlaceholder[] {
  const out: FoundPlaceholder[] = [];
  const n = node as { items?: unknown[]; key?: unknown; value?: unknown; range?: [number, number, number] } | null;
  if (!n || typeof n !== "object") return out;
  if (Array.isArray(n.items)) {
    n.items.forEach((item, index) => {
      const pair = item as { key?: { value?: unknown }; value?: unknown };
      if (pair && typeof pair === "object" && "key" in pair) out.push(...findPlaceholders(pair.value, [...path, String(pair.key?.value ?? "?")]));
      else out.push(...findPlaceholders(item, [...path, String(index)]));
    });
    return out;
  }
  const scalar = n as { value?: unknown; range?: [number, number, number] };
  if (typeof scalar.value === "string") {
    for (const { pattern, what } of PLACEHOLDERS) {
      if (pattern.test(scalar.value.trim())) {
        out.push({ path: path.join("."), what, offset: scalar.range?.[0] ?? 0 });
        break;
      }
    }
  }
  return out;
}

async function checkCertificate(path: string, label: string, report: FileReport): Promise<void> {
  const read = await readText(path);
  const fail = (detail: string) => add(report, { role: "proxy CA certificate", path: label, status: "invalid", detail }, [{ where: "PROXY_CERT_PATH", severity: "error", message: `${label} ${detail}` }]);
  if ("missing" in read) return fail("does not exist");
  if ("error" in read) return fail(read.error);
  const blocks = read.text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
  if (!blocks) return fail("is not a PEM certificate (no -----BEGIN CERTIFICATE----- block)");
  try {
    const subjects = blocks.map((block) => new X509Certificate(block).subject.split("\n").find((l) => l.startsWith("CN=")) ?? "certificate");
    add(report, { role: "proxy CA certificate", path: label, status: "ok", detail: subjects.join(", ") });
  } catch {
    fail("holds a PEM block that is not a valid X.509 certificate");
  }
}

async function checkClusterConfig(path: string, label: string, report: FileReport): Promise<void> {
  let read: { head: Buffer; size: number };
  try {
    read = await readHead(path, 2);
  } catch (error) {
    // The reference's .arg.template names spc.tgz, which most users never have; like the
    // reference, the ISO is then built without one (planStaging passes CLUSTERCONFIG empty).
    if (isMissingClusterConfig(error)) {
      return add(report, { role: "cluster definition", path: label, status: "warning", detail: "missing: the ISO will carry no cluster definition" }, [
        { where: "CLUSTERCONFIG", severity: "warning", message: `${label} does not exist; the ISO is built without a cluster definition (canvos passes CLUSTERCONFIG="" to the build)` },
      ]);
    }
    const why = error instanceof UnreadableFileError ? error.message : "cannot be read";
    return add(report, { role: "cluster definition", path: label, status: "invalid", detail: why }, [{ where: "CLUSTERCONFIG", severity: "error", message: `${label} ${why}` }]);
  }
  // Palette exports a gzip-compressed tar (spc.tgz); anything else would be embedded in the ISO as
  // a cluster definition that the device cannot read.
  const gzip = read.head[0] === 0x1f && read.head[1] === 0x8b;
  if (gzip) return add(report, { role: "cluster definition", path: label, status: "ok", detail: `${read.size} bytes` });
  add(report, { role: "cluster definition", path: label, status: "invalid", detail: "not a gzip archive; Palette exports spc.tgz" }, [
    { where: "CLUSTERCONFIG", severity: "error", message: `${label} is not a gzip archive (Palette exports the cluster definition as spc.tgz)` },
  ]);
}

/** A CLUSTERCONFIG that names nothing: a warning, not an error, for validate and the build alike. */
export function isMissingClusterConfig(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "ENOENT" && !(error instanceof UnreadableFileError);
}

async function checkLuetAuth(path: string, label: string, report: FileReport): Promise<void> {
  const read = await readText(path);
  if ("missing" in read) return add(report, { role: "luet registry credentials", path: label, status: "absent", detail: "optional; only for a private SPECTRO_LUET_REPO" });
  if ("error" in read) return add(report, { role: "luet registry credentials", path: label, status: "invalid", detail: read.error }, [{ where: label, severity: "error", message: read.error }]);
  const { LineCounter, parseDocument } = await import("./yaml.js");
  const lines = new LineCounter();
  const doc = parseDocument(read.text, { lineCounter: lines, prettyErrors: false });
  const problems: Problem[] = [];
  for (const error of doc.errors) problems.push({ where: `${label}:${lines.linePos(error.pos[0]).line}`, severity: "error", message: `invalid YAML: ${error.message.split("\n")[0]}` });
  let user = "";
  if (doc.errors.length === 0) {
    for (const field of ["username", "password", "serveraddress"] as const) {
      const value = doc.getIn(["auth", field]);
      if (typeof value !== "string" || value.trim() === "") {
        problems.push({ where: label, severity: "error", message: `auth.${field} is missing or empty` });
        continue;
      }
      if (field === "password") report.secrets.push(value);
      if (field === "username") user = value;
      if (PLACEHOLDERS.some(({ pattern }) => pattern.test(value.trim()))) problems.push({ where: label, severity: "error", message: `auth.${field} still holds a template placeholder` });
    }
  }
  const bad = problems.length > 0;
  add(report, { role: "luet registry credentials", path: label, status: bad ? "invalid" : "ok", detail: bad ? `${problems.length} problem(s)` : `user ${user}, password ****` }, problems);
}

/**
 * Earthly reads `.secret` and `.env` from its working directory by itself (earthly.md). canvos
 * points it at files of its own instead (args.ts, RUN_FILES), so such files here are not used:
 * said, rather than left for the user to wonder why a secret in them never arrived.
 */
async function checkEarthlyDefaults(cwd: string, report: FileReport): Promise<void> {
  for (const [name, instead] of [
    [".secret", "pass build secrets with --secret NAME (the value from $NAME)"],
    [".env", "set EARTHLY_* settings in the environment"],
  ] as const) {
    try {
      await lstat(resolvePath(cwd, name));
    } catch {
      continue;
    }
    report.problems.push({ where: name, severity: "warning", message: `Earthly would read this file by itself; canvos does not let it (nothing reaches a build behind canvos's back): ${instead}` });
  }
}
