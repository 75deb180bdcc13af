// `--secret NAME` takes a variable name. Earthly's own syntax, `--secret NAME=value`, puts the value
// on a command line; canvos refuses it, and its message never repeats what follows the `=`.
import { ConfigError, type Problem } from "../errors.js";
import { quote } from "../text.js";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkSecretNames(names: readonly string[]): void {
  const problems: Problem[] = [];
  for (const name of names) {
    if (NAME.test(name)) continue;
    const eq = name.indexOf("=");
    const message =
      eq !== -1
        ? `${NAME.test(name.slice(0, eq)) ? name.slice(0, eq) : "the name"}=… gives a value on the command line, where ps shows it: write --secret ${NAME.test(name.slice(0, eq)) ? name.slice(0, eq) : "NAME"} and put the value in that environment variable (the value is not shown)`
        : `${quote(name, 40)} is not a variable name (letters, digits, _)`;
    problems.push({ where: "--secret", severity: "error", message });
  }
  if (problems.length > 0) throw new ConfigError("invalid --secret", problems);
}
