// Colour for stderr, decided once: off without a TTY, with NO_COLOR, or FORCE_COLOR=0.
import chalk, { Chalk } from "chalk";

function colourWanted(): boolean {
  const env = process.env;
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  if (env["FORCE_COLOR"] !== undefined) return env["FORCE_COLOR"] !== "0" && env["FORCE_COLOR"] !== "false";
  return Boolean(process.stderr.isTTY);
}

const c = colourWanted() ? new Chalk({ level: Math.max(chalk.level, 1) as 1 | 2 | 3 }) : new Chalk({ level: 0 });

export const style = {
  red: (s: string) => c.red(s),
  yellow: (s: string) => c.yellow(s),
  green: (s: string) => c.green(s),
  dim: (s: string) => c.dim(s),
  bold: (s: string) => c.bold(s),
  cyan: (s: string) => c.cyan(s),
};

export const colourEnabled = (): boolean => c.level > 0;
