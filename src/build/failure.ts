// A failed Earthly run in words: the failing target, the Earthfile's line, the command, its last
// lines and the log; exit codes Earthly gives meaning to get their own hint.
import type { EarthlyOutcome } from "../earthly/output.js";
import { BuildError, EnvironmentError, locationOf } from "../errors.js";
import type { BuildPlan } from "../plan/plan.js";
import { buildkitHint, engineOfBinary } from "../earthly/engine.js";

/** The failure summary: failing target, Earthfile location, the command, its last lines, the log. */
export function failureError(exitCode: number | undefined, outcome: EarthlyOutcome, plan: BuildPlan, logPath: string): BuildError | EnvironmentError {
  const errorText = outcome.errors.length > 0 ? `: ${outcome.errors[outcome.errors.length - 1]}` : "";
  if (exitCode === 6) {
    return new EnvironmentError(
      `Earthly cannot reach BuildKit (exit 6)${errorText}; log: ${logPath}`,
      buildkitHint(engineOfBinary(plan.argv[0] ?? "earthly"), 6),
    );
  }
  const target = outcome.failedTarget ?? plan.target;
  const details: string[] = [];
  if (outcome.location !== undefined) details.push(`at:      ${outcome.location}`);
  if (outcome.command !== undefined) details.push(`command: ${outcome.command}${outcome.commandExitCode !== undefined ? ` (exit code ${outcome.commandExitCode})` : ""}`);
  for (const message of outcome.errors.slice(-3)) details.push(`error:   ${message}`);
  if (outcome.lastLines.length > 0) {
    details.push("last lines:");
    for (const line of outcome.lastLines) details.push(`  | ${line}`);
  }
  details.push(`log:     ${logPath}`);
  let hint: string | undefined;
  if (exitCode === 9) hint = "Earthly exits 9 when a privileged step runs without --allow-privileged, or when its clean-up was cut short";
  else if (exitCode === 255) hint = "exit 255 usually means QEMU/binfmt is missing for a foreign --platform (ARCH differs from this machine)";
  else if (exitCode === 7) hint = buildkitHint(engineOfBinary(plan.argv[0] ?? "earthly"), 7);
  const how = exitCode === undefined ? "was killed" : `exited with code ${exitCode}`;
  return new BuildError(`the build failed in ${target} (Earthly ${how})`, details, hint, outcome.location !== undefined ? locationOf(outcome.location) : undefined);
}

/** --boot found no Linux banner on the serial console in time. */
export function bootFailure(iso: string, timeoutSeconds: number, lastLines: readonly string[]): BuildError {
  return new BuildError(
    `${iso} did not boot: no Linux kernel banner on the serial console within ${timeoutSeconds} s`,
    lastLines.length > 0 ? ["last console lines:", ...lastLines.map((l) => `  | ${l}`)] : ["the console stayed silent"],
    "the firmware found no EFI loader it could start, or the loader could not find the kernel: see the lines above (a slow machine may need a longer --boot-timeout)",
  );
}
