// Colour for stderr, decided once: off without a TTY, with NO_COLOR, or FORCE_COLOR=0.
// Six styles of plain SGR codes, the ones every terminal since the VT100 knows: a colour library
// would cost start-up for what these lines do, and no style here is ever nested in another.

function colourWanted(): boolean {
  const env = process.env;
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  if (env["FORCE_COLOR"] !== undefined) return env["FORCE_COLOR"] !== "0" && env["FORCE_COLOR"] !== "false";
  return Boolean(process.stderr.isTTY);
}

const enabled = colourWanted();
type Paint = (s: string) => string;
// Each closes with its own reset (39 the foreground, 22 bold and dim), so text after it keeps any
// other style around it.
const sgr = (open: number, close: number): Paint => (enabled ? (s) => `\u001b[${open}m${s}\u001b[${close}m` : (s) => s);

export const style = {
  red: sgr(31, 39),
  yellow: sgr(33, 39),
  green: sgr(32, 39),
  dim: sgr(2, 22),
  bold: sgr(1, 22),
  cyan: sgr(36, 39),
};

export const colourEnabled = (): boolean => enabled;
