// One build command from start to end: resolve, plan, (dry run: print and stop), lock the
// workspace, run Earthly, check what it made, record it, report it. Prints nothing itself except
// the results on stdout; progress goes through the reporter, errors are thrown.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { loadConfig } from "../config/resolve.js";
import { earthfileExtras } from "../config/earthfile-args.js";
import type { ResolveOptions, ResolvedConfig } from "../config/types.js";
import { BuildError, EnvironmentError, InterruptedError } from "../errors.js";
import { createPlan, planJson, renderPlan, type BuildPlan } from "../plan/plan.js";
import { profileFields, renderProfile } from "../plan/profile.js";
import { BUILDS_PROVIDERS, type BuildCommand } from "../plan/targets.js";
import { createReporter } from "../report/reporter.js";
import { checkOutputs, type Verification } from "../verify/verify.js";
import { acquireLock } from "../workspace/lock.js";
import { LogFile, logPathFor } from "../workspace/log-file.js";
import { createManifest, writeManifest, MANIFEST_FILE, type Manifest } from "../workspace/manifest.js";
import { argFileText, checkPassThrough, ARG_FILE, maskArgv } from "./args.js";
import type { Reporter } from "./events.js";
import { cleanLines } from "./clean-bytes.js";
import { OutputTracker, type EarthlyOutcome } from "./output.js";
import { earthlyVersion, nativeRunner, runEarthly, SignalWatch, stopTimeoutMs, type RunnerStrategy } from "./runner.js";
import { DEFAULT_RUNNER_SETTINGS, prepareRunner, startRunner, type PreparedRunner, type RunnerSettings, type StartedRunner } from "./runner-setup.js";
import { readSecrets } from "./secrets.js";
import { checkFiles } from "../config/files.js";

export interface BuildOptions {
  command: BuildCommand;
  request: ResolveOptions;
  k8sVersions: readonly string[];
  push: boolean;
  noCache: boolean;
  earthlyFlags: readonly string[];
  earthlyBin: string | undefined;
  dryRun: boolean;
  json: boolean;
  verbose: boolean;
  /** Where Earthly runs (native or in Docker), secrets, remote BuildKit/cache, CI mode. */
  runner?: RunnerSettings;
}

export interface BuildContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
  strategy: RunnerStrategy;
}

const defaultContext = (): BuildContext => ({ stdout: process.stdout, stderr: process.stderr, strategy: nativeRunner });

function canvosVersion(): string {
  const require = createRequire(import.meta.url);
  return (require("../../package.json") as { version: string }).version;
}

export async function planBuild(options: BuildOptions): Promise<{ plan: BuildPlan; resolved: ResolvedConfig; prepared: PreparedRunner }> {
  const { request } = options;
  const resolved = await loadConfig(request, await earthfileExtras(request.cwd));
  checkPassThrough(options.earthlyFlags);
  // A local Earthly, or its image through Docker; a dry run shows what would run even where
  // neither is installed yet.
  const prepared = await prepareRunner(options.runner ?? DEFAULT_RUNNER_SETTINGS, {
    env: request.env,
    cwd: request.cwd,
    earthlyBin: options.earthlyBin,
    dryRun: options.dryRun,
    config: resolved.config,
  });
  const plan = createPlan({
    command: options.command,
    resolved,
    earthly: prepared.earthly,
    k8sVersions: options.k8sVersions,
    push: options.push,
    noCache: options.noCache,
    // canvos's own flags (secrets by name, CI mode, remote BuildKit/cache) come after the user's were checked.
    earthlyFlags: [...options.earthlyFlags, ...prepared.flags],
  });
  plan.warnings.push(...prepared.notes);
  return { plan, resolved, prepared };
}

/** The failure summary: failing target, Earthfile location, the command, its last lines, the log. */
export function failureError(exitCode: number | undefined, outcome: EarthlyOutcome, plan: BuildPlan, logPath: string): BuildError | EnvironmentError {
  const errorText = outcome.errors.length > 0 ? `: ${outcome.errors[outcome.errors.length - 1]}` : "";
  if (exitCode === 6) {
    return new EnvironmentError(
      `Earthly cannot reach BuildKit (exit 6)${errorText}; log: ${logPath}`,
      "Earthly runs BuildKit in a Docker container (earthly-buildkitd): check that Docker is running and usable by you (`docker info`), or set EARTHLY_BUILDKIT_HOST",
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
  else if (exitCode === 7) hint = "BuildKit crashed: look at `docker logs earthly-buildkitd`, then run again";
  const how = exitCode === undefined ? "was killed" : `exited with code ${exitCode}`;
  return new BuildError(`the build failed in ${target} (Earthly ${how})`, details, hint);
}

export async function runBuild(options: BuildOptions, context: BuildContext = defaultContext()): Promise<void> {
  const start = new Date();
  const { plan, resolved, prepared } = await planBuild(options);
  const cwd = options.request.cwd;
  const argFile = join(cwd, ARG_FILE);
  if (options.dryRun) {
    context.stdout.write(options.json ? JSON.stringify(planJson(plan), null, 2) + "\n" : renderPlan(plan));
    return;
  }
  const settings = options.runner ?? DEFAULT_RUNNER_SETTINGS;
  // Asked before anything starts, so a prompt never interleaves with progress.
  const secretValues = await readSecrets(settings.secrets, options.request.env);
  let runner: StartedRunner | undefined;

  const watch = new SignalWatch();
  let lock: ReturnType<typeof acquireLock>;
  try {
    lock = acquireLock(cwd, options.command);
  } catch (error) {
    watch.dispose();
    throw error;
  }
  const reporter: Reporter = createReporter({ verbose: options.verbose, stderr: context.stderr });
  const logPath = logPathFor(options.command, start);
  let log: LogFile | undefined;
  let earthlyVersionLine: string | undefined;
  const manifestOf = (status: Manifest["status"], verification?: Verification): void => {
    writeManifest(
      cwd,
      createManifest({
        canvosVersion: canvosVersion(),
        plan,
        resolved,
        status,
        earthlyVersion: earthlyVersionLine,
        images: verification?.images ?? [],
        artifacts: verification?.artifacts ?? [],
        log: logPath,
        start,
        end: new Date(),
      }),
    );
  };
  try {
    mkdirSync(dirname(argFile), { recursive: true });
    // Created 0600 before anything is written: the proxy passwords in it are for Earthly alone.
    rmSync(argFile, { force: true });
    writeFileSync(argFile, argFileText(plan.buildArgs), { mode: 0o600 });
    log = new LogFile(cwd, logPath);
    const logFile = log;
    logFile.write(`# canvos ${options.command} ${start.toISOString()}`);
    logFile.write(`# ${maskArgv(plan.argv).join(" ")}`);
    for (const warning of plan.warnings) {
      if (warning.severity === "warning") reporter.event({ type: "warning", message: `${warning.where}: ${warning.message}` });
    }

    const luetPasswords = (await checkFiles(resolved.config, cwd)).secrets;
    runner = await startRunner(prepared, settings, resolved.config, options.request.env, cwd, secretValues, luetPasswords);
    if (runner.helper) logFile.write(`# canvos: proxy mode, BuildKit helper ${runner.helper.name}`);
    const env = runner.env;
    const redact = runner.redact;
    const strategy = prepared.kind === "docker" ? runner.strategy : context.strategy;
    earthlyVersionLine = await earthlyVersion(strategy.version({ earthly: plan.argv[0] ?? "earthly", cwd, env }));
    logFile.write(`# ${earthlyVersionLine ?? "earthly --version gave nothing"}`);
    if (watch.received !== undefined) throw new InterruptedError(watch.received);

    const providerRefs = new Set(plan.images.filter((i) => i.kind === "provider").map((i) => i.ref));
    const doneRefs = new Set<string>();
    const markDone = (ref: string): void => {
      if (!providerRefs.has(ref) || doneRefs.has(ref)) return;
      doneRefs.add(ref);
      reporter.event({ type: "image", ref, done: doneRefs.size, total: providerRefs.size });
    };
    reporter.event({ type: "start", command: options.command, target: plan.target, logPath, providerImages: providerRefs.size });

    const tracker = new OutputTracker();
    const result = await runEarthly(
      { ...strategy.build({ earthly: plan.argv[0] ?? "earthly", flags: plan.flags, target: plan.target, buildArgs: plan.buildArgs, cwd, env }), redact },
      {
        // Runs of whole lines as bytes (a GB of log must not cost a string per line): cleaned once
        // for the log and a plain --verbose; the tracker decodes only lines that can matter.
        onOutput(stream, raw) {
          const clean = cleanLines(raw, !reporter.rawOutput);
          logFile.writeBytes(clean);
          const behind = reporter.output(stream, raw, clean);
          const watchSaves = doneRefs.size < providerRefs.size ? "SAVE IMAGE" : undefined;
          tracker.feedLines(clean, (line, newTarget) => {
            if (line.kind === "phase") reporter.event({ type: "phase", phase: line.phase });
            else if (line.kind === "image" || line.kind === "pushed") markDone(line.ref);
            else if (line.kind === "target") {
              // Prefixes like "buildkitd" or "context" are Earthly's own, not targets of the Earthfile.
              if (newTarget && line.target.includes("+")) reporter.event({ type: "target", target: line.target });
              // Earthly echoes SAVE IMAGE as the build reaches it: the image is done before the summary says so.
              if (line.text.includes("SAVE IMAGE")) for (const ref of providerRefs) if (line.text.includes(ref)) markDone(ref);
            }
          }, watchSaves);
          return behind;
        },
        onStopping(signal, timeoutMs) {
          logFile.write(`# canvos: ${signal} received, forwarded to Earthly`);
          reporter.event({ type: "stopping", signal, timeoutMs });
        },
      },
      stopTimeoutMs(env),
      watch,
    );
    const outcome = tracker.result();
    if (result.interruptedBy !== undefined) {
      logFile.write(`# canvos: interrupted by ${result.interruptedBy}${result.killed ? "; Earthly did not stop in time and was killed" : ""}`);
      manifestOf("interrupted");
      throw new InterruptedError(result.interruptedBy);
    }
    if (result.exitCode !== 0) {
      manifestOf("failed");
      throw failureError(result.exitCode, outcome, plan, logPath);
    }

    reporter.event({ type: "verifying" });
    const verification = await checkOutputs(plan, cwd, outcome);
    if (verification.problems.length > 0) {
      manifestOf("failed", verification);
      throw new BuildError(
        `Earthly reported success, but ${verification.problems.length === 1 ? "an output is" : "outputs are"} missing or wrong`,
        [...verification.problems, `log: ${logPath}`],
        "check that the Earthfile saves what canvos expects (SAVE ARTIFACT ... AS LOCAL, SAVE IMAGE) and that no --ci/--no-output flag was passed through",
      );
    }
    if (options.push) {
      // "Pushed" in Earthly's summary is not proof: ask the registry for every planned image.
      const { checkPushed } = await import("../registry/verify-push.js");
      let pushed: Awaited<ReturnType<typeof checkPushed>>;
      try {
        pushed = await checkPushed([...providerRefs], options.request.env, (message) => reporter.event({ type: "warning", message }));
      } catch (error) {
        // Unverified is not succeeded: the record says so, the error says why (registry, auth).
        manifestOf("failed", verification);
        throw error;
      }
      if (pushed.missing.length > 0) {
        manifestOf("failed", verification);
        throw new BuildError(
          `Earthly reported success, but ${pushed.missing.length === 1 ? "an image is" : `${pushed.missing.length} images are`} not in the registry`,
          [...pushed.missing.map((ref) => `missing: ${ref}`), `log: ${logPath}`],
          "check that the Earthfile's SAVE IMAGE --push names these references and that the registry accepted the push (see the log)",
        );
      }
    }
    manifestOf("succeeded", verification);
    reporter.summary({
      command: options.command,
      durationMs: Date.now() - start.getTime(),
      artifacts: verification.artifacts,
      images: verification.images,
      logPath,
      manifestPath: MANIFEST_FILE,
      registry: plan.registry,
    });
    if (BUILDS_PROVIDERS[options.command]) context.stdout.write(renderProfile(plan.profile));
  } finally {
    rmSync(argFile, { force: true });
    // The BuildKit helper goes after success, failure and Ctrl-C alike.
    await runner?.stop();
    reporter.stop();
    log?.close();
    lock.release();
    watch.dispose();
  }
}

/** `canvos profile`: the snippet for the current configuration, nothing built. */
export async function printProfile(request: ResolveOptions, stdout: NodeJS.WritableStream = process.stdout): Promise<void> {
  const resolved = await loadConfig(request, await earthfileExtras(request.cwd));
  stdout.write(renderProfile(profileFields(resolved.config)));
}
