// The floor of a Node.js program that runs a build tool through execa, as canvos does: the same as
// spawn-floor.cjs, with execa. bench/run.mjs bundles it with esbuild into one CommonJS file first,
// as canvos's own bundle is, so that the number is execa's cost and not Node resolving ~100 files.
// No code cache: this is what execa alone costs a program that has none.
import { execa } from "execa";

const [command, ...args] = process.argv.slice(2);
const child = execa(command, args, { stdin: "ignore", stdout: "ignore", stderr: "pipe", buffer: false, reject: false });
child.stderr.on("data", () => {});
child.then((result) => {
  process.exitCode = result.exitCode ?? 1;
});
