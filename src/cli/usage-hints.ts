// Help toward what the user meant, for the usage mistakes that carry over from other tools.
import { targetHint } from "../plan/targets.js";

/** Short options canvos does not have, and what people type them for. */
const SHORT_OPTIONS: Readonly<Record<string, string>> = {
  "-v": "did you mean --version (or -V), or --verbose (build commands)?",
};

export function shortOptionHint(option: string): string | undefined {
  return Object.hasOwn(SHORT_OPTIONS, option) ? SHORT_OPTIONS[option] : undefined;
}

/** The hint for a command-line word commander refused, if there is one. */
export function usageHint(code: string, message: string): string | undefined {
  const word = /'([^']*)'/.exec(message)?.[1];
  if (word === undefined) return undefined;
  if (code === "commander.unknownCommand" && word.startsWith("+")) return targetHint(word);
  if (code === "commander.unknownOption") return shortOptionHint(word);
  return undefined;
}
