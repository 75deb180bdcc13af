// Entry point: builds the commander program, runs it, and owns process.exit.
// Start-up matters (bench/): only commander and the command descriptions load here; the error
// renderer loads when there is an error to render.
import { Command, CommanderError } from "commander";
import { commands } from "../commands/index.js";
import { EnvironmentError } from "../errors.js";
import { EXIT } from "./exit-codes.js";
import { fsReason } from "../workspace/fs-errors.js";
import { canvosVersion } from "../config/package-version.js";

export function buildProgram(): Command {
  const program = new Command("canvos")
    .description("Build Palette edge artifacts (provider images and the installer ISO) with Earthly.")
    .version(canvosVersion(), "-V, --version", "print the canvos version")
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) })
    .addHelpText(
      "after",
      `
Examples:
  $ canvos init --arch amd64 --registry ttl.sh      lay out a workspace here, .arg from the template
  $ canvos validate                                  check .arg and the files it names
  $ canvos build-all --arch amd64                    provider images and the installer ISO
  $ canvos iso --dry-run --json                      the plan as JSON, nothing runs

Exit codes: 0 ok, 1 build or verification failed, 2 invalid configuration or usage,
3 environment problem (no workspace, Earthly/Docker missing, workspace busy), 130/143 interrupted.`,
    );
  // addCommand does not pass settings down: each command must throw, not exit, so that usage
  // errors reach the one place that maps them to exit code 2.
  for (const define of commands) program.addCommand(define().exitOverride().configureOutput({ outputError: (str, write) => write(str) }));
  return program;
}

/**
 * Output that cannot be written. A reader that went away (`canvos versions | head -1`, a pager
 * quit early) is no error of canvos's: what it did not read is lost to it alone, and the run goes
 * on, its log and manifest keeping everything. Any other failure (`> profile.yaml` on a full disk)
 * lost what the user asked for: exit 3 and say why, not a success. Before, both threw from the
 * stream as uncaught exceptions: a stack trace, exit 1, and a build cut off at its first line.
 */
let outputFailure: EnvironmentError | undefined;
let finished = false;

function watchOutput(): void {
  const onError = (name: string) => (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE" || outputFailure !== undefined) return;
    outputFailure = new EnvironmentError(`cannot write to ${name}: ${fsReason(error)}`, "free space where the output goes, or send it elsewhere");
    // After main() ended (the failed write was its last), reported here; otherwise by main().
    if (finished && (process.exitCode === undefined || process.exitCode === 0)) void reportOutputFailure();
  };
  process.stdout.on("error", onError("standard output"));
  process.stderr.on("error", onError("standard error"));
}

async function reportOutputFailure(): Promise<void> {
  const { handleError } = await import("./handle-error.js");
  process.exitCode = handleError(outputFailure);
}

export async function main(argv: readonly string[]): Promise<void> {
  watchOutput();
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
    // What commander prints for it, without building every command first.
    process.stdout.write(`${canvosVersion()}\n`);
    process.exitCode = 0;
    finished = true;
    return;
  }
  const program = buildProgram();
  let code = 0;
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version end in a CommanderError with exit code 0.
      code = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      const { usageHint } = await import("./usage-hints.js");
      const hint = usageHint(error.code, error.message);
      if (hint !== undefined) process.stderr.write(`  hint: ${hint}\n`);
    } else {
      const { handleError } = await import("./handle-error.js");
      code = handleError(error);
    }
  }
  process.exitCode = code;
  finished = true;
  if (code === 0 && outputFailure !== undefined) await reportOutputFailure();
}
