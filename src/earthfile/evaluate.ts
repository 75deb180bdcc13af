// Walks one target the way Earthly 0.8 would for given build args: global ARGs, the target's ARG,
// LET and SET lines, the IF branches whose conditions canvos can judge, and FOR loops whose list a
// shell-out runner can produce. On top of the values it models what Earthly does with each step
// (earthly.md, "Earthfile"): the platform each FROM, COPY and BUILD builds for, whether COPY takes
// a folder or what is inside it, and which RUNs ever execute. The contract tests use it to compute
// the image names, commands and files the Earthfile yields, without Earthly.
import type { Problem } from "../errors.js";
import { evaluateCondition, expandTag, type Values } from "./expand.js";
import { flagWords, isTargetRef, splitWords, unquote } from "./lexer.js";
import type { EarthfileModel, Node } from "./types.js";

/** The platform a step builds for: `linux/arm64`, or "native" (the BuildKit host's). */
export type Platform = string;
export const NATIVE: Platform = "native";

export type Step =
  | {
      kind: "from";
      source: "image" | "target" | "dockerfile" | "scratch";
      ref: string;
      platform: Platform;
      /** FROM +t: the platform t was asked to build for (`platform` is the one it ended on). */
      requested?: Platform;
      dockerfile?: string;
      buildArgs: Record<string, string>;
      line: number;
    }
  | { kind: "copy"; sources: string[]; dest: string; isDir: boolean; ifExists: boolean; keepOwn: boolean; platform: Platform; line: number }
  | { kind: "run"; command: string; flags: string[]; executes: boolean; line: number }
  | { kind: "workdir"; path: string; line: number }
  | { kind: "save-artifact"; src: string; dest?: string; local?: string; line: number }
  | { kind: "save-image"; refs: string[]; push: boolean; line: number }
  | { kind: "build"; target: string; args: Record<string, string>; platform: Platform; line: number };

/** A `$(...)` Earthly would run in the current container while it reads the Earthfile. */
export interface ShellOut {
  command: string;
  /** The variables in scope, which Earthly hands to the shell as its environment. */
  env: Record<string, string>;
  /** COPYs of the current state so far: what the container holds from the workspace and targets. */
  copies: readonly Extract<Step, { kind: "copy" }>[];
  /** The FROM the current state started with. */
  from: Extract<Step, { kind: "from" }> | undefined;
  line: number;
}

export interface EvaluateOptions {
  /** The platform the target is invoked for (`earthly --platform`, or a parent's FROM/BUILD/COPY). */
  platform?: Platform;
  /** Runs a shell-out and returns its standard output; throwing fails it as Earthly would. */
  shellOut?: (request: ShellOut) => string;
}

export interface Evaluation {
  /** Every variable after the walk (build args and LET/SET), expanded. */
  vars: Record<string, string>;
  /** The steps on the branches taken, in order, expanded. */
  steps: Step[];
  /** The platform of the target's final state. */
  platform: Platform;
  /** `SAVE IMAGE` references on the branches taken, expanded. */
  saveImages: { refs: string[]; push: boolean; line: number }[];
  /** `FROM` references (image, target or Dockerfile context) on the branches taken, expanded. */
  froms: string[];
  /** `BUILD` lines taken: target and expanded `--KEY=value` args. */
  builds: { target: string; args: Record<string, string>; line: number }[];
  /** `RUN` commands taken, as written (the shell expands them, not Earthly). */
  runs: string[];
  /** `COPY` lines taken, expanded. */
  copies: { sources: string[]; dest: string; line: number }[];
  /** Conditions or values canvos could not judge, and shell-outs that failed. */
  problems: Problem[];
}

const SHELL_OUT = /\$\(((?:[^()]|\([^()]*\))*)\)/g;

/** Evaluates `target` (without its `+`) for `values`, the build args given on the command line. */
export function evaluateTarget(model: EarthfileModel, target: string, values: Values, options: EvaluateOptions = {}): Evaluation {
  const invoked = options.platform ?? NATIVE;
  const result: Evaluation = { vars: {}, steps: [], platform: invoked, saveImages: [], froms: [], builds: [], runs: [], copies: [], problems: [] };
  const where = (line: number): string => `${model.file}:${line}`;
  const unresolved = (line: number, message: string, severity: Problem["severity"] = "warning"): void => {
    result.problems.push({ where: where(line), message, severity });
  };
  const vars = result.vars;
  // The state the next step works on: where it started and what was copied into it since.
  let from: Extract<Step, { kind: "from" }> | undefined;
  let stateCopies: Extract<Step, { kind: "copy" }>[] = [];
  let current = invoked;

  const shellOut = (command: string, line: number): string => {
    if (options.shellOut === undefined) {
      unresolved(line, `shell-out not evaluated: $(${command})`);
      return "";
    }
    forceState();
    try {
      return options.shellOut({ command, env: { ...vars }, copies: stateCopies, from, line }).replace(/\n+$/, "");
    } catch (error) {
      unresolved(line, `shell-out $(${command}) failed: ${error instanceof Error ? error.message : String(error)}`, "error");
      return "";
    }
  };
  const valueOf = (raw: string, line: number): string => {
    const withOutputs = raw.includes("$(") ? raw.replace(SHELL_OUT, (_all, command: string) => shellOut(expandTag(command, vars), line)) : raw;
    return expandTag(withOutputs, vars);
  };
  const platformOf = (flags: readonly string[], fallback: Platform): Platform => {
    const flag = flags.find((f) => f.startsWith("--platform="));
    return flag === undefined ? fallback : expandTag(flag.slice("--platform=".length), vars);
  };

  // Steps that need the state as it is now make every RUN before them (since the last FROM) run.
  let pendingRuns: Extract<Step, { kind: "run" }>[] = [];
  const forceState = (): void => {
    for (const run of pendingRuns) run.executes = true;
    pendingRuns = [];
  };
  const newState = (step: Extract<Step, { kind: "from" }>): void => {
    // What ran on the old state and was needed by nothing is dropped: Earthly never runs it.
    pendingRuns = [];
    from = step;
    stateCopies = [];
    current = step.platform;
    result.steps.push(step);
  };

  for (const arg of model.globalArgs) {
    const given = values[arg.name];
    vars[arg.name] = given ?? valueOf(arg.default ?? "", arg.line);
  }

  const name = target.replace(/^\+/, "");
  const recipe = model.targets.get(name);
  if (recipe === undefined) {
    result.problems.push({ where: model.file, message: `no target ${name}`, severity: "error" });
    return result;
  }

  const walk = (nodes: readonly Node[]): void => {
    for (const node of nodes) {
      if (node.kind === "if") {
        // Earthly runs the condition in the current container: the state before it is built.
        if (from?.source === "scratch") unresolved(node.line, "IF after FROM scratch: the condition needs a shell, and scratch has none", "error");
        forceState();
        for (const branch of node.branches) {
          if (branch.condition === null) {
            walk(branch.body);
            break;
          }
          const truth = evaluateCondition(branch.condition, vars);
          if (truth === undefined) {
            unresolved(branch.line, `condition not evaluated: ${branch.condition}`);
            break;
          }
          if (truth) {
            walk(branch.body);
            break;
          }
        }
        continue;
      }
      if (node.kind === "block") {
        if (node.keyword === "FOR") walkFor(node.header, node.line, node.body);
        else walk(node.body);
        continue;
      }
      step(node.command.keyword, node.command.text, node.command.line);
    }
  };

  const walkFor = (header: string, line: number, body: readonly Node[]): void => {
    const match = /^(?:--sep[= ](?:"[^"]*"|'[^']*'|\S+)\s+)?([A-Za-z_][A-Za-z0-9_]*)\s+IN\s+(.*)$/s.exec(header);
    if (!match) {
      unresolved(line, `FOR not understood: ${header}`);
      return;
    }
    const list = valueOf(match[2] ?? "", line);
    if (list.includes("$(")) return;
    for (const item of list.split(/\s+/).filter((w) => w !== "")) {
      vars[match[1] ?? ""] = item;
      walk(body);
    }
  };

  const step = (keyword: string, text: string, line: number): void => {
    switch (keyword) {
      case "ARG": {
        const match = /^(?:--[A-Za-z-]+\s+)*([A-Za-z_][A-Za-z0-9_]*)\s*(?:=\s*(.*))?$/s.exec(text.trim());
        if (!match) break;
        const argName = match[1] ?? "";
        const given = values[argName];
        vars[argName] = given ?? valueOf(unquote(match[2] ?? ""), line);
        break;
      }
      case "LET":
      case "SET": {
        const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/s.exec(text);
        if (match) vars[match[1] ?? ""] = valueOf(unquote(match[2] ?? ""), line);
        break;
      }
      case "SAVE IMAGE": {
        forceState();
        const words = splitWords(text);
        const save = { refs: words.filter((w) => !w.startsWith("--")).map((w) => expandTag(w, vars)), push: words.includes("--push"), line };
        result.saveImages.push(save);
        result.steps.push({ kind: "save-image", ...save });
        break;
      }
      case "SAVE ARTIFACT": {
        forceState();
        const { rest } = flagWords(splitWords(text));
        const as = rest.findIndex((w, i) => w === "AS" && rest[i + 1] === "LOCAL");
        const paths = (as === -1 ? rest : rest.slice(0, as)).map((w) => expandTag(w, vars));
        const saved: Extract<Step, { kind: "save-artifact" }> = { kind: "save-artifact", src: paths[0] ?? "", line };
        if (paths[1] !== undefined) saved.dest = paths[1];
        if (as !== -1 && rest[as + 2] !== undefined) saved.local = expandTag(rest[as + 2] ?? "", vars);
        result.steps.push(saved);
        break;
      }
      case "FROM":
      case "FROM DOCKERFILE": {
        const { flags, rest } = flagWords(splitWords(text));
        const buildArgs = buildArgsOf(flags, vars);
        const platform = platformOf(flags, invoked);
        const ref = expandTag(rest[0] ?? (keyword === "FROM DOCKERFILE" ? "." : ""), vars);
        result.froms.push(ref);
        if (keyword === "FROM DOCKERFILE") {
          const dockerfile = flags.find((f) => f.startsWith("-f="));
          const fromStep: Extract<Step, { kind: "from" }> = { kind: "from", source: "dockerfile", ref, platform, buildArgs, line };
          if (dockerfile !== undefined) fromStep.dockerfile = expandTag(dockerfile.slice(3), vars);
          newState(fromStep);
        } else if (isTargetRef(ref)) {
          // FROM +t builds t for this platform, and the state then has t's platform.
          const child = evaluateTarget(model, ref, { ...values, ...buildArgs }, { ...options, platform });
          result.problems.push(...child.problems);
          newState({ kind: "from", source: "target", ref, platform: child.platform, requested: platform, buildArgs, line });
        } else {
          newState({ kind: "from", source: ref === "scratch" ? "scratch" : "image", ref, platform, buildArgs, line });
        }
        break;
      }
      case "BUILD": {
        const { flags, rest } = flagWords(splitWords(text));
        const args: Record<string, string> = buildArgsOf(flags, vars);
        for (const word of rest.slice(1)) {
          const match = /^--([^=]+)=(.*)$/s.exec(word);
          if (match) args[match[1] ?? ""] = expandTag(match[2] ?? "", vars);
        }
        // BUILD without --platform builds for the platform the target was invoked for.
        const build = { target: rest[0] ?? "", args, line };
        result.builds.push(build);
        result.steps.push({ kind: "build", ...build, platform: platformOf(flags, invoked) });
        break;
      }
      case "COPY": {
        const { flags, rest } = flagWords(splitWords(text));
        if (rest.length < 2) break;
        const sources = rest.slice(0, -1).map((w) => expandTag(w, vars));
        const dest = expandTag(rest[rest.length - 1] ?? "", vars);
        result.copies.push({ sources, dest, line });
        // COPY +t/... without --platform builds t for the invoked platform, not the current one.
        const copy: Extract<Step, { kind: "copy" }> = {
          kind: "copy",
          sources,
          dest,
          isDir: flags.includes("--dir"),
          ifExists: flags.includes("--if-exists"),
          keepOwn: flags.includes("--keep-own"),
          platform: platformOf(flags, invoked),
          line,
        };
        stateCopies.push(copy);
        result.steps.push(copy);
        break;
      }
      case "WORKDIR":
        result.steps.push({ kind: "workdir", path: expandTag(unquote(text), vars), line });
        break;
      case "RUN": {
        const { flags, rest } = splitRunFlags(text);
        result.runs.push(text);
        const run: Extract<Step, { kind: "run" }> = { kind: "run", command: rest, flags, executes: false, line };
        pendingRuns.push(run);
        result.steps.push(run);
        break;
      }
      case "DO": {
        const ref = splitWords(text).find((w) => !w.startsWith("--"));
        const fn = ref === undefined ? undefined : model.targets.get(ref.replace(/^\+/, ""));
        if (fn !== undefined) walk(fn.body);
        break;
      }
      default:
        break;
    }
  };

  walk(recipe.body);
  // The final state is what a FROM, BUILD or the command line takes: every RUN left in it runs.
  forceState();
  result.platform = current;
  return result;
}

function splitRunFlags(text: string): { flags: string[]; rest: string } {
  const flags: string[] = [];
  let rest = text.trim();
  while (rest.startsWith("--")) {
    const word = /^(\S+)\s*/.exec(rest);
    if (!word) break;
    rest = rest.slice(word[0].length);
    let flag = word[1] ?? "";
    // RUN's valued flags take the next word when written without `=`.
    if (!flag.includes("=") && ["--secret", "--mount", "--network"].includes(flag)) {
      const value = /^(\S+)\s*/.exec(rest);
      flag = `${flag}=${value?.[1] ?? ""}`;
      rest = rest.slice(value?.[0].length ?? 0);
    }
    flags.push(flag);
  }
  return { flags, rest };
}

function buildArgsOf(flags: readonly string[], vars: Values): Record<string, string> {
  const args: Record<string, string> = {};
  for (const flag of flags) {
    const match = /^--build-arg=([^=]+)=(.*)$/s.exec(flag);
    if (match) args[match[1] ?? ""] = expandTag(match[2] ?? "", vars);
  }
  return args;
}
