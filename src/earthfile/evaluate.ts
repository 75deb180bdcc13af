// Walks one target the way Earthly would for given build args: global ARGs, the target's ARG, LET
// and SET lines, and the IF branches whose conditions canvos can judge. The contract tests use it
// to compute the image names and commands the Earthfile yields, without Earthly or containers.
import type { Problem } from "../errors.js";
import { evaluateCondition, expandTag, type Values } from "./expand.js";
import { splitWords, unquote } from "./lexer.js";
import type { EarthfileModel, Node } from "./types.js";

export interface Evaluation {
  /** Every variable after the walk (build args and LET/SET), expanded. */
  vars: Record<string, string>;
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
  /** Conditions or values canvos could not judge (a `$(...)`, an unknown test). */
  problems: Problem[];
}

/** Evaluates `target` (without its `+`) for `values`, the build args given on the command line. */
export function evaluateTarget(model: EarthfileModel, target: string, values: Values): Evaluation {
  const result: Evaluation = { vars: {}, saveImages: [], froms: [], builds: [], runs: [], copies: [], problems: [] };
  const where = (line: number): string => `${model.file}:${line}`;
  const unresolved = (line: number, message: string): void => {
    result.problems.push({ where: where(line), message, severity: "warning" });
  };
  const vars = result.vars;
  const valueOf = (raw: string, line: number): string => {
    if (raw.includes("$(")) unresolved(line, `shell-out not evaluated: ${raw}`);
    return expandTag(raw, vars);
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
        // FOR bodies depend on a shell-out's output; WITH DOCKER/WAIT/TRY bodies run once.
        if (node.keyword === "FOR") unresolved(node.line, `FOR not evaluated: ${node.header}`);
        else walk(node.body);
        continue;
      }
      const { keyword, text, line } = node.command;
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
          const words = splitWords(text);
          result.saveImages.push({ refs: words.filter((w) => !w.startsWith("--")).map((w) => expandTag(w, vars)), push: words.includes("--push"), line });
          break;
        }
        case "FROM":
        case "FROM DOCKERFILE": {
          const words = splitWords(text);
          let ref: string | undefined;
          for (let i = 0; i < words.length; i++) {
            const word = words[i] ?? "";
            if (word === "-f" || word === "--build-arg" || word === "--platform" || word === "--target") i++;
            else if (!word.startsWith("-")) {
              ref = word;
              break;
            }
          }
          if (ref !== undefined) result.froms.push(expandTag(ref, vars));
          break;
        }
        case "BUILD": {
          const words = splitWords(text);
          const index = words.findIndex((w) => !w.startsWith("-"));
          const args: Record<string, string> = {};
          for (const word of words.slice(index + 1)) {
            const match = /^--([^=]+)=(.*)$/s.exec(word);
            if (match) args[match[1] ?? ""] = expandTag(match[2] ?? "", vars);
          }
          result.builds.push({ target: words[index] ?? "", args, line });
          break;
        }
        case "COPY": {
          const words = splitWords(text).filter((w) => !w.startsWith("--"));
          if (words.length >= 2) {
            result.copies.push({ sources: words.slice(0, -1).map((w) => expandTag(w, vars)), dest: expandTag(words[words.length - 1] ?? "", vars), line });
          }
          break;
        }
        case "RUN":
          result.runs.push(text);
          break;
        case "DO": {
          const ref = splitWords(text).find((w) => !w.startsWith("--"));
          const fn = ref === undefined ? undefined : model.targets.get(ref.replace(/^\+/, ""));
          if (fn !== undefined) walk(fn.body);
          break;
        }
        default:
          break;
      }
    }
  };
  walk(recipe.body);
  return result;
}

