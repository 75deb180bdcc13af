// Colour for stderr, decided once: off without a TTY, with NO_COLOR, or FORCE_COLOR=0.
// chalk is loaded only when colour is on: CI, pipes and tests never pay for it.

function colourWanted(): boolean {
  const env = process.env;
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  if (env["FORCE_COLOR"] !== undefined) return env["FORCE_COLOR"] !== "0" && env["FORCE_COLOR"] !== "false";
  return Boolean(process.stderr.isTTY);
}

const chalkModule = colourWanted() ? await import("chalk") : undefined;
const c = chalkModule ? new chalkModule.Chalk({ level: Math.max(chalkModule.default.level, 1) as 1 | 2 | 3 }) : undefined;
// chalk at level 0 returns its input unchanged: so does this.
const plain = (s: string): string => s;

export const style = {
  red: c ? (s: string) => c.red(s) : plain,
  yellow: c ? (s: string) => c.yellow(s) : plain,
  green: c ? (s: string) => c.green(s) : plain,
  dim: c ? (s: string) => c.dim(s) : plain,
  bold: c ? (s: string) => c.bold(s) : plain,
  cyan: c ? (s: string) => c.cyan(s) : plain,
};

export const colourEnabled = (): boolean => c !== undefined;
