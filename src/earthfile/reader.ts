// Reads an Earthfile's structure: VERSION, global ARGs, targets and FUNCTIONs with their ARGs,
// BUILDs, FROMs, COPYs, RUNs and SAVE lines. Pure and fast; odd input yields problems, never a
// throw, and unknown commands are skipped, so `canvos validate` can run it on a user's edits.
import type { Problem } from "../errors.js";
import { flagWords, isTargetRef, logicalLines, splitWords, unquote, VALUED_FLAGS, type LogicalLine } from "./lexer.js";
import type { ArgDecl, BuildRef, Command, CopyCmd, EarthfileModel, FromRef, IfBranch, Node, SaveArtifact, Target } from "./types.js";

export type * from "./types.js";
export { expandTag, evaluateCondition } from "./expand.js";
export { evaluateTarget } from "./evaluate.js";

const TWO_WORD = new Set(["SAVE ARTIFACT", "SAVE IMAGE", "ELSE IF", "GIT CLONE", "FROM DOCKERFILE", "WITH DOCKER", "DOCKER PULL", "DOCKER LOAD"]);
const KNOWN = new Set([
  "VERSION", "PROJECT", "IMPORT", "FROM", "FROM DOCKERFILE", "RUN", "COPY", "ARG", "LET", "SET", "ENV", "WORKDIR", "USER",
  "EXPOSE", "VOLUME", "ENTRYPOINT", "CMD", "LABEL", "HEALTHCHECK", "SHELL", "STOPSIGNAL", "ONBUILD", "BUILD", "DO", "FUNCTION",
  "COMMAND", "SAVE ARTIFACT", "SAVE IMAGE", "IF", "ELSE IF", "ELSE", "END", "FOR", "WITH DOCKER", "WAIT", "TRY", "CATCH",
  "FINALLY", "GIT CLONE", "LOCALLY", "HOST", "CACHE", "ADD", "DOCKER PULL", "DOCKER LOAD",
]);
const TARGET_HEADER = /^([A-Za-z0-9][A-Za-z0-9._-]*):\s*$/;

interface Frame {
  /** Where commands of this block go. */
  body: Node[];
  /** The IF node when this frame is an IF branch, for ELSE/ELSE IF. */
  ifNode?: { kind: "if"; line: number; branches: IfBranch[] };
  keyword: string;
  line: number;
  sawElse?: boolean;
}

export function readEarthfile(text: string, file = "Earthfile"): EarthfileModel {
  const problems: Problem[] = [];
  const problem = (line: number, message: string, severity: Problem["severity"] = "error"): void => {
    problems.push({ where: `${file}:${line}`, message, severity });
  };
  const model: EarthfileModel = { file, version: undefined, globalArgs: [], base: [], targets: new Map(), problems };
  const lines = logicalLines(typeof text === "string" ? text : "");

  let target: Target | undefined;
  let stack: Frame[] = [{ body: model.base, keyword: "", line: 0 }];
  let first = true;

  const closeRecipe = (): void => {
    for (const frame of stack.slice(1).reverse()) problem(frame.line, `${frame.keyword} without END`);
    stack = stack.slice(0, 1);
  };

  for (const logical of lines) {
    const header = logical.indented ? null : TARGET_HEADER.exec(logical.text);
    if (first && (header || !/^VERSION(\s|$)/.test(logical.text))) problem(logical.line, "the Earthfile must start with VERSION");
    if (header) {
      closeRecipe();
      const name = header[1] ?? "";
      if (model.targets.has(name)) problem(logical.line, `target ${name} is defined twice`);
      target = newTarget(name, logical.line);
      model.targets.set(name, target);
      stack = [{ body: target.body, keyword: "", line: logical.line }];
      first = false;
      continue;
    }
    const command = parseCommand(logical);
    if (command === undefined) continue;
    first = false;
    if (target === undefined && logical.indented) problem(logical.line, "indented command outside a target", "warning");
    if (target !== undefined && !logical.indented) problem(logical.line, `${command.keyword} must be indented under target ${target.name}`);
    if (!KNOWN.has(command.keyword)) {
      problem(logical.line, `unknown command ${command.keyword} (skipped)`, "warning");
      continue;
    }

    const frame = stack[stack.length - 1] ?? { body: model.base, keyword: "", line: 0 };
    switch (command.keyword) {
      case "IF": {
        const ifNode: Frame["ifNode"] = { kind: "if", line: command.line, branches: [] };
        const branch: IfBranch = { condition: command.text, line: command.line, body: [] };
        ifNode.branches.push(branch);
        frame.body.push(ifNode);
        stack.push({ body: branch.body, ifNode, keyword: "IF", line: command.line });
        continue;
      }
      case "ELSE IF":
      case "ELSE": {
        if (frame.ifNode === undefined) {
          problem(command.line, `${command.keyword} without IF`);
          continue;
        }
        if (frame.sawElse) problem(command.line, `${command.keyword} after ELSE`);
        const branch: IfBranch = { condition: command.keyword === "ELSE" ? null : command.text, line: command.line, body: [] };
        frame.ifNode.branches.push(branch);
        frame.body = branch.body;
        if (command.keyword === "ELSE") frame.sawElse = true;
        continue;
      }
      case "FOR":
      case "WITH DOCKER":
      case "WAIT":
      case "TRY": {
        const block: Node = { kind: "block", keyword: command.keyword, header: command.text, line: command.line, body: [] };
        frame.body.push(block);
        stack.push({ body: block.body, keyword: command.keyword, line: command.line });
        continue;
      }
      case "CATCH":
      case "FINALLY":
        if (frame.keyword !== "TRY") problem(command.line, `${command.keyword} without TRY`);
        continue;
      case "END":
        if (stack.length <= 1) problem(command.line, "END without IF, FOR, WITH, WAIT or TRY");
        else stack.pop();
        continue;
      default:
        break;
    }

    frame.body.push({ kind: "command", command });
    if (target === undefined) {
      readBaseCommand(model, command, problem);
    } else {
      readTargetCommand(target, command, stack.length > 1, problem);
    }
  }
  closeRecipe();
  if (lines.length === 0) problem(1, "the Earthfile is empty");
  return model;
}

function newTarget(name: string, line: number): Target {
  return {
    name,
    kind: "target",
    line,
    args: [],
    vars: [],
    builds: [],
    froms: [],
    copies: [],
    runs: [],
    dos: [],
    saveImages: [],
    saveArtifacts: [],
    body: [],
  };
}

function parseCommand(logical: LogicalLine): Command | undefined {
  const match = /^(\S+)(?:\s+(\S+))?/.exec(logical.text);
  if (!match) return undefined;
  const one = match[1] ?? "";
  const two = match[2] === undefined ? undefined : `${one} ${match[2]}`;
  const keyword = two !== undefined && TWO_WORD.has(two) ? two : one;
  return { keyword, text: logical.text.slice(keyword.length).trim(), line: logical.line };
}

type Report = (line: number, message: string, severity?: Problem["severity"]) => void;

function readBaseCommand(model: EarthfileModel, command: Command, problem: Report): void {
  if (command.keyword === "VERSION") {
    const words = splitWords(command.text).filter((w) => !w.startsWith("--"));
    if (model.version !== undefined) problem(command.line, "VERSION given twice");
    model.version = words[0];
    if (model.version === undefined) problem(command.line, "VERSION without a number");
    return;
  }
  if (command.keyword === "ARG") {
    const arg = parseArg(command, problem);
    if (arg === undefined) return;
    // In the base recipe only --global ARGs are seen by targets; others are still recorded.
    if (!arg.global) problem(command.line, `ARG ${arg.name} outside a target needs --global to reach targets`, "warning");
    if (model.globalArgs.some((a) => a.name === arg.name)) problem(command.line, `ARG ${arg.name} is declared twice`);
    model.globalArgs.push(arg);
  }
}

function readTargetCommand(target: Target, command: Command, nested: boolean, problem: Report): void {
  const { keyword, text, line } = command;
  switch (keyword) {
    case "FUNCTION":
    case "COMMAND":
      target.kind = "function";
      return;
    case "ARG": {
      const arg = parseArg(command, problem);
      if (arg === undefined) return;
      // The same name twice outside IF blocks is Earthly's "redeclared" error.
      if (!nested && target.args.some((a) => a.name === arg.name && !a.global)) problem(line, `ARG ${arg.name} is declared twice in ${target.name}`);
      target.args.push(arg);
      return;
    }
    case "LET":
    case "SET": {
      const assign = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/s.exec(text);
      if (!assign) {
        problem(line, `${keyword} needs name=value`);
        return;
      }
      target.vars.push({ kind: keyword === "LET" ? "let" : "set", name: assign[1] ?? "", value: unquote(assign[2] ?? ""), line });
      return;
    }
    case "BUILD":
      target.builds.push(parseBuild(text, line));
      return;
    case "FROM":
      target.froms.push(parseFrom(text, line));
      return;
    case "FROM DOCKERFILE":
      target.froms.push(parseFromDockerfile(text, line));
      return;
    case "COPY": {
      const copy = parseCopy(text, line);
      if (copy === undefined) problem(line, "COPY needs a source and a destination");
      else target.copies.push(copy);
      return;
    }
    case "RUN": {
      const { flags, rest } = leadingFlags(text);
      target.runs.push({ command: rest, flags, line });
      return;
    }
    case "DO": {
      const ref = splitWords(text).find((w) => !w.startsWith("--"));
      if (ref === undefined) problem(line, "DO needs a function reference");
      else target.dos.push({ target: ref, line });
      return;
    }
    case "SAVE IMAGE": {
      const words = splitWords(text);
      const refs = words.filter((w) => !w.startsWith("--"));
      target.saveImages.push({ refs, push: words.includes("--push"), line });
      return;
    }
    case "SAVE ARTIFACT": {
      const artifact = parseSaveArtifact(text, line);
      if (artifact === undefined) problem(line, "SAVE ARTIFACT needs a source");
      else target.saveArtifacts.push(artifact);
      return;
    }
    default:
      return;
  }
}

function parseArg(command: Command, problem: Report): ArgDecl | undefined {
  let rest = command.text;
  let global = false;
  let required = false;
  for (;;) {
    const flag = /^(--[A-Za-z-]+)\s*/.exec(rest);
    if (!flag) break;
    if (flag[1] === "--global") global = true;
    else if (flag[1] === "--required") required = true;
    rest = rest.slice(flag[0].length);
  }
  // Earthly accepts `NAME=value` and `NAME = value`.
  const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?:=\s*(.*))?$/s.exec(rest.trim());
  if (!match) {
    problem(command.line, `ARG needs a name: ARG ${command.text}`);
    return undefined;
  }
  const arg: ArgDecl = { name: match[1] ?? "", required, global, line: command.line };
  if (match[2] !== undefined) arg.default = unquote(match[2]);
  return arg;
}

/** Splits `--flag`, `--flag=value` and valued flags (`--platform x`) off the front of a text. */
function leadingFlags(text: string): { flags: string[]; rest: string } {
  const flags: string[] = [];
  let rest = text.trim();
  for (;;) {
    if (rest.startsWith("-- ")) return { flags, rest: rest.slice(3).trim() };
    const flag = /^(-{1,2}[A-Za-z][A-Za-z0-9-]*)(=(?:"[^"]*"|'[^']*'|\S*))?(\s+|$)/.exec(rest);
    if (!flag) break;
    const name = flag[1] ?? "";
    rest = rest.slice(flag[0].length);
    if (flag[2] === undefined && VALUED_FLAGS.has(name)) {
      const value = /^("[^"]*"|'[^']*'|\S+)\s*/.exec(rest);
      flags.push(`${name}=${unquote(value?.[1] ?? "")}`);
      rest = rest.slice(value?.[0].length ?? 0);
    } else {
      flags.push(flag[2] === undefined ? name : `${name}=${unquote(flag[2].slice(1))}`);
    }
  }
  return { flags, rest };
}

function addArg(args: Record<string, string[]>, key: string, value: string): void {
  (args[key] ??= []).push(value);
}

/** `--build-arg K=V` flags into args; returns the remaining flags. */
function collectBuildArgFlags(flags: string[], args: Record<string, string[]>): string[] {
  const others: string[] = [];
  for (const flag of flags) {
    const match = /^--build-arg=([^=]+)=(.*)$/s.exec(flag);
    if (match) addArg(args, match[1] ?? "", match[2] ?? "");
    else others.push(flag);
  }
  return others;
}

/** `--KEY=value` / `--KEY value` words after a target reference. */
function collectTrailingArgs(words: string[], args: Record<string, string[]>): void {
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? "";
    const match = /^--([^=]+)(?:=(.*))?$/s.exec(word);
    if (!match) continue;
    if (match[2] !== undefined) addArg(args, match[1] ?? "", match[2]);
    else if (i + 1 < words.length && !(words[i + 1] ?? "").startsWith("--")) addArg(args, match[1] ?? "", words[++i] ?? "");
    else addArg(args, match[1] ?? "", "");
  }
}

function parseBuild(text: string, line: number): BuildRef {
  const { flags, rest } = flagWords(splitWords(text));
  const args: Record<string, string[]> = {};
  const others = collectBuildArgFlags(flags, args);
  collectTrailingArgs(rest.slice(1), args);
  return { target: rest[0] ?? "", args, flags: others, line };
}

function parseFrom(text: string, line: number): FromRef {
  const { flags, rest } = flagWords(splitWords(text));
  const args: Record<string, string[]> = {};
  const others = collectBuildArgFlags(flags, args);
  const ref = rest[0] ?? "";
  collectTrailingArgs(rest.slice(1), args);
  const from: FromRef = { kind: isTargetRef(ref) ? "target" : "image", ref, args, line };
  const platform = platformOf(others);
  if (platform !== undefined) from.platform = platform;
  return from;
}

function parseFromDockerfile(text: string, line: number): FromRef {
  const { flags, rest } = flagWords(splitWords(text));
  const args: Record<string, string[]> = {};
  const others = collectBuildArgFlags(flags, args);
  const from: FromRef = { kind: "dockerfile", ref: rest[0] ?? ".", args, line };
  const dockerfile = others.find((f) => f.startsWith("-f="));
  if (dockerfile !== undefined) from.dockerfile = dockerfile.slice(3);
  const platform = platformOf(others);
  if (platform !== undefined) from.platform = platform;
  return from;
}

function platformOf(flags: string[]): string | undefined {
  return flags.find((f) => f.startsWith("--platform="))?.slice("--platform=".length);
}

function parseCopy(text: string, line: number): CopyCmd | undefined {
  const { flags, rest } = flagWords(splitWords(text));
  if (rest.length < 2) return undefined;
  return {
    sources: rest.slice(0, -1),
    dest: rest[rest.length - 1] ?? "",
    flags,
    ifExists: flags.includes("--if-exists"),
    line,
  };
}

function parseSaveArtifact(text: string, line: number): SaveArtifact | undefined {
  const { flags, rest } = flagWords(splitWords(text));
  const asIndex = rest.findIndex((w, i) => w === "AS" && rest[i + 1] === "LOCAL");
  const paths = asIndex === -1 ? rest : rest.slice(0, asIndex);
  const src = paths[0];
  if (src === undefined) return undefined;
  const artifact: SaveArtifact = { src, flags, line };
  if (paths[1] !== undefined) artifact.dest = paths[1];
  if (asIndex !== -1 && rest[asIndex + 2] !== undefined) artifact.local = rest[asIndex + 2];
  return artifact;
}

/** The local target a reference like `+name` or `+name/artifact/path` names, if it is local. */
export function localTargetName(ref: string): string | undefined {
  const clean = ref.startsWith("(") ? (splitWords(ref.slice(1, -1))[0] ?? "") : ref;
  const match = /^\+([A-Za-z0-9._-]+)/.exec(clean);
  return match?.[1];
}

/**
 * Names of ARGs that can take a value from the command line: with a target, the global ARGs, the
 * target's own and those of the local targets it reaches through BUILD, FROM, COPY and DO (when
 * they are written `+name`); without one, every ARG anywhere in the file.
 */
export function declaredArgNames(model: EarthfileModel, target?: string): Set<string> {
  const names = new Set(model.globalArgs.map((a) => a.name));
  if (target === undefined) {
    for (const t of model.targets.values()) for (const a of t.args) names.add(a.name);
    return names;
  }
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const t = model.targets.get(name);
    if (t === undefined) return;
    for (const a of t.args) names.add(a.name);
    const refs = [
      ...t.builds.map((b) => b.target),
      ...t.froms.filter((f) => f.kind !== "image").flatMap((f) => [f.ref, f.dockerfile ?? ""]),
      ...t.copies.flatMap((c) => c.sources),
      ...t.dos.map((d) => d.target),
    ];
    for (const ref of refs) {
      const local = localTargetName(ref);
      if (local !== undefined) visit(local);
    }
  };
  visit(target.replace(/^\+/, ""));
  return names;
}
