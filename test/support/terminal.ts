// canvos on a terminal: `script` (util-linux) gives it a pseudo-terminal, sized, as the spinner
// needs a width. What it wrote comes back on script's stdout, its stderr and stdout together.
import { execa } from "execa";
import { CANVOS } from "./cli.js";
import { pathWithFake } from "./fake-earthly.js";

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** `stdoutTo`: a file canvos's stdout goes to instead (its stderr stays on the terminal). */
export function onTerminal(cwd: string, args: readonly string[], env: Record<string, string | undefined>, stdoutTo?: string) {
  const redirect = stdoutTo !== undefined ? ` > ${quote(stdoutTo)}` : "";
  const command = `stty cols 120 rows 40; exec ${[process.execPath, CANVOS, ...args].map(quote).join(" ")}${redirect}`;
  // -e: script exits with canvos's exit code.
  return execa("script", ["-qec", command, "/dev/null"], {
    cwd,
    env: { PATH: pathWithFake(), HOME: process.env["HOME"], TERM: "xterm-256color", TMPDIR: process.env["TMPDIR"], ...env },
    extendEnv: false,
    reject: false,
    stdin: "ignore",
  });
}
