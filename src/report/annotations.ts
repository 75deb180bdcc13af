// GitHub Actions annotations: when canvos runs in a GitHub workflow, every problem and the final
// error are also printed as workflow commands (`::error file=.arg,line=7::...`), which GitHub shows
// on the file and line in the run summary and the pull request, instead of only in the log.
// https://docs.github.com/actions/reference/workflow-commands-for-github-actions
import { relative, resolve } from "node:path";
import { locationOf, type Problem, type SourceLocation } from "../errors.js";
import { printable } from "../text.js";

export const annotationsWanted = (env: NodeJS.ProcessEnv = process.env): boolean => env["GITHUB_ACTIONS"] === "true";

// The escaping of actions/toolkit's command.ts: a message may hold any text, a property value
// neither the `,` between properties nor the `:` that ends them.
// Control characters other than the line breaks canvos puts in a message itself are escaped first
// (text.ts), so a value inside a message can neither end the command nor reach the log raw.
const escapeData = (s: string): string =>
  s
    .split(/(\r|\n)/)
    .map((part) => (part === "\r" || part === "\n" ? part : printable(part)))
    .join("")
    .replace(/%/g, "%25")
    .replace(/\r/g, "%0D")
    .replace(/\n/g, "%0A");
const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

/**
 * One workflow command. `file` is made relative to the repository (GITHUB_WORKSPACE), as GitHub
 * matches annotations to the files of the commit.
 */
export function annotation(kind: "error" | "warning", message: string, options: { at?: SourceLocation | undefined; title?: string | undefined; env?: NodeJS.ProcessEnv } = {}): string {
  const env = options.env ?? process.env;
  const props: string[] = [];
  if (options.at !== undefined) {
    const root = env["GITHUB_WORKSPACE"] || process.cwd();
    props.push(`file=${escapeProperty(relative(root, resolve(options.at.file)))}`, `line=${options.at.line}`);
    if (options.at.column !== undefined) props.push(`col=${options.at.column}`);
  }
  if (options.title !== undefined) props.push(`title=${escapeProperty(options.title)}`);
  return `::${kind}${props.length > 0 ? ` ${props.join(",")}` : ""}::${escapeData(message)}`;
}

/** A configuration problem: on its file and line when it has them, titled with where it was found otherwise. */
export function problemAnnotation(problem: Problem, env: NodeJS.ProcessEnv = process.env): string {
  const at = locationOf(problem.where);
  return annotation(problem.severity, problem.message, at !== undefined ? { at, env } : { title: problem.where, env });
}
