// One build command from start to end: resolve, plan, (dry run: print and stop), lock the
// workspace, run Earthly, check what it made, record it, report it. Prints nothing itself except
// the results on stdout; progress goes through the reporter, errors are thrown.
import { join } from "node:path";
import { secretPart } from "../config/resolve.js";
import { loadWorkspaceConfig } from "../config/earthfile-args.js";
import type { ResolveOptions, ResolvedConfig } from "../config/types.js";
import { BuildError, ConfigError, EnvironmentError, InterruptedError, locationOf } from "../errors.js";
import { createPlan, planJson, renderPlan, type BuildPlan } from "../plan/plan.js";
import { profileFields, renderProfile } from "../plan/profile.js";
import { BUILDS_ISO, BUILDS_PROVIDERS, type BuildCommand } from "../plan/targets.js";
import { createReporter } from "../report/reporter.js";
import { checkOutputs, type Verification } from "../verify/verify.js";
import { acquireLock } from "../workspace/lock.js";
import { LOG_DIR, LogFile, logPathFor } from "../workspace/log-file.js";
import { createManifest, writeManifest, MANIFEST_FILE, type Manifest } from "../workspace/manifest.js";
import { fsReason, isFsError, makeDir } from "../workspace/fs-errors.js";
import { clearStage, planStaging, stageFiles, type Staging } from "../workspace/stage.js";
import { checkPassThrough, maskArgv, runFiles } from "./args.js";
import { removeRunFiles, writeRunFiles } from "../workspace/run-files.js";
import type { Reporter } from "./events.js";
import { cleanLines } from "./clean-bytes.js";
import { OutputTracker, type EarthlyOutcome } from "./output.js";
import { earthlyVersion, nativeRunner, runEarthly, SignalWatch, stopTimeoutMs, type RunnerStrategy } from "./runner.js";
import { DEFAULT_RUNNER_SETTINGS, prepareRunner, startRunner, type PreparedRunner, type RunnerSettings, type StartedRunner } from "./runner-setup.js";
import { readSecrets } from "./secrets.js";
import { checkFiles } from "../config/files.js";
import { canvosVersion } from "../config/package-version.js";
import { jsonText } from "../text.js";
import { buildkitHint, engineOfBinary } from "./engine.js";

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

export async function planBuild(options: BuildOptions, cancel?: AbortSignal): Promise<{ plan: BuildPlan; resolved: ResolvedConfig; prepared: PreparedRunner; staging: Staging; luetPasswords: string[] }> {
  const { request } = options;
  const resolved = await loadWorkspaceConfig(request);
  checkPassThrough(options.earthlyFlags);
  // Before Docker is asked anything: a missing file is a configuration error (exit 2), nothing ran.
  const staging = planStaging(resolved.config, request.cwd, BUILDS_ISO[options.command]);
  // The same file checks as `canvos validate`, now rather than forty minutes in: an ISO carrying
  // user-data with the template's placeholder token installs devices that never register.
  const files = await checkFiles(resolved.config, request.cwd, { iso: BUILDS_ISO[options.command] });
  const fileErrors = files.problems.filter((p) => p.severity === "error");
  if (fileErrors.length > 0) {
    throw new ConfigError(`${fileErrors.length} ${fileErrors.length === 1 ? "error" : "errors"} in the files the build uses; nothing was built`, files.problems);
  }
  // A local Earthly, or its image through Docker; a dry run shows what would run even where
  // neither is installed yet.
  const prepared = await prepareRunner(options.runner ?? DEFAULT_RUNNER_SETTINGS, {
    env: request.env,
    cwd: request.cwd,
    earthlyBin: options.earthlyBin,
    dryRun: options.dryRun,
    config: resolved.config,
    cancelSignal: cancel,
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
    pathArgs: staging.args,
  });
  plan.warnings.push(...prepared.notes, ...files.problems);
  return { plan, resolved, prepared, staging, luetPasswords: files.secrets };
}

/**
 * The secret part of every build arg (secretPart, the one notion of "sensitive" that also masks
 * values and keeps them off Earthly's argv): a proxy URL's password, a token. Earthly's
 * own output must not show them either.
 */
export function sensitiveParts(args: Readonly<Record<string, string>>, secretKeys?: ReadonlySet<string>): string[] {
  const parts = new Set<string>();
  for (const [key, value] of Object.entries(args)) {
    const part = secretPart(key, value, secretKeys);
    if (part === undefined) continue;
    const secret = value.slice(part.start, part.end);
    if (secret === "") continue;
    parts.add(secret);
    try {
      // A URL's userinfo is percent-encoded; a tool that decodes it prints the plain password.
      parts.add(decodeURIComponent(secret));
    } catch {
      // Not valid percent-encoding: the literal form is all there is.
    }
  }
  return [...parts];
}

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

/** Unwritable build/: the user's to fix (a file named build, a read-only mount), said before Earthly starts. */
function buildDirError(cwd: string, error: unknown): EnvironmentError {
  return new EnvironmentError(`cannot write to build/ (${join(cwd, "build")}): ${fsReason(error)}`, "build/ must be a writable folder in the workspace: move away a file named build, or remount it read-write");
}

/** Resolves when `cancel` fires; never rejects, never keeps the process alive. */
function whenAborted(cancel: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (cancel.aborted) resolve();
    else cancel.addEventListener("abort", () => resolve(), { once: true });
  });
}

export async function runBuild(options: BuildOptions, context: BuildContext = defaultContext()): Promise<void> {
  const start = new Date();
  // Signals while canvos plans (a docker pull of the Earthly image can take minutes) end that
  // step at once; no lock and no log exist yet, so there is nothing else to clean up.
  const planWatch = new SignalWatch();
  let planned: Awaited<ReturnType<typeof planBuild>>;
  try {
    planned = await planBuild(options, planWatch.cancelSignal);
  } finally {
    planWatch.dispose();
  }
  if (planWatch.received !== undefined) throw new InterruptedError(planWatch.received);
  const { plan, resolved, prepared, staging, luetPasswords } = planned;
  const cwd = options.request.cwd;
  const files = runFiles(plan.buildArgs, plan.secretKeys);
  if (options.dryRun) {
    context.stdout.write(options.json ? jsonText(planJson(plan)) : renderPlan(plan));
    return;
  }
  const settings = options.runner ?? DEFAULT_RUNNER_SETTINGS;
  // Asked before anything starts, so a prompt never interleaves with progress.
  const secretValues = await readSecrets(settings.secrets, options.request.env);
  let runner: StartedRunner | undefined;

  // Before the lock and the signal watch: loading the spinner must not hold either.
  const reporter: Reporter = await createReporter({ verbose: options.verbose, stderr: context.stderr });
  const watch = new SignalWatch();
  let lock: ReturnType<typeof acquireLock>;
  try {
    lock = acquireLock(cwd, options.command);
  } catch (error) {
    watch.dispose();
    throw error;
  }
  let logPath = logPathFor(options.command, start);
  let log: LogFile | undefined;
  let earthlyVersionLine: string | undefined;
  let versionCheck: Promise<unknown> = Promise.resolve(undefined);
  // The build log may fail under a full disk: LogFile never throws, it keeps its first failure in
  // `error` and writes nothing more. Earthly is then stopped through the runner's own stop path
  // (canvos cannot go on without its log), and the run ends in one clear error.
  const stopEarthly = new AbortController();
  const writeLog = (line: string): void => {
    if (log === undefined || log.error !== undefined) return;
    log.write(line);
    if (log.error !== undefined) stopEarthly.abort();
  };
  const logFailure = (error: Error): EnvironmentError =>
    new EnvironmentError(`cannot write the build log ${join(cwd, logPath)}: ${fsReason(error)}`, "free space on the disk that holds build/ (or make it writable), then run again");
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
  // On the way out of a failure: the record is best effort, the error being thrown says what happened.
  const recordFailure = (status: Exclude<Manifest["status"], "succeeded">, verification?: Verification): void => {
    try {
      manifestOf(status, verification);
    } catch {
      // build/ is unwritable or full; the error in flight is the one to report.
    }
  };
  // A signal that came while canvos worked on its own (not while Earthly ran) ends the run here.
  const checkpoint = (): void => {
    if (watch.received !== undefined) throw new InterruptedError(watch.received);
  };
  let interruptionLogged = false;
  try {
    // Created 0600 before anything is written: the proxy passwords in the arg file are for Earthly alone.
    writeRunFiles(cwd, files);
    try {
      // build/ must take the log (and later the manifest and the ISO): checked before Earthly starts.
      makeDir(join(cwd, LOG_DIR));
      log = new LogFile(cwd, logPath);
      logPath = log.relativePath;
    } catch (error) {
      if (!isFsError(error)) throw error;
      throw buildDirError(cwd, error);
    }
    writeLog(`# canvos ${options.command} ${start.toISOString()}`);
    writeLog(`# ${maskArgv(plan.argv, plan.secretKeys).join(" ")}`);
    for (const warning of plan.warnings) {
      if (warning.severity === "warning") reporter.event({ type: "warning", message: `${warning.where}: ${warning.message}` });
    }
    stageFiles(cwd, staging);
    for (const file of staging.files) writeLog(`# canvos: ${file.name} ${file.from} staged as ${file.to} (Earthly reads only inside the workspace)`);

    checkpoint();
    runner = await startRunner(prepared, settings, resolved.config, options.request.env, cwd, secretValues, luetPasswords, watch.cancelSignal);
    checkpoint();
    if (runner.helper) writeLog(`# canvos: proxy mode, BuildKit helper ${runner.helper.name}`);
    const env = runner.env;
    // Proxy passwords travel in the arg file, but a build step may still print them.
    const redact = [...runner.redact, ...sensitiveParts(plan.buildArgs, plan.secretKeys)];
    const strategy = prepared.kind === "docker" ? runner.strategy : context.strategy;
    const earlyLogError = log.error;
    if (earlyLogError !== undefined) throw logFailure(earlyLogError);

    const providerRefs = new Set(plan.images.filter((i) => i.kind === "provider").map((i) => i.ref));
    const doneRefs = new Set<string>();
    const markDone = (ref: string): void => {
      if (!providerRefs.has(ref) || doneRefs.has(ref)) return;
      doneRefs.add(ref);
      reporter.event({ type: "image", ref, done: doneRefs.size, total: providerRefs.size });
    };
    reporter.event({ type: "start", command: options.command, target: plan.target, logPath, providerImages: providerRefs.size });

    const tracker = new OutputTracker();
    const running = runEarthly(
      { ...strategy.build({ earthly: plan.argv[0] ?? "earthly", flags: plan.flags, target: plan.target, buildArgs: plan.buildArgs, secretKeys: plan.secretKeys, cwd, env }), redact },
      {
        // Runs of whole lines as bytes (a GB of log must not cost a string per line): cleaned once
        // for the log and a plain --verbose; the tracker decodes only lines that can matter.
        onOutput(stream, raw) {
          const clean = cleanLines(raw, !reporter.rawOutput);
          if (log !== undefined && log.error === undefined) {
            log.writeBytes(clean);
            if (log.error !== undefined) stopEarthly.abort();
          }
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
          writeLog(`# canvos: ${signal} received, forwarded to Earthly`);
          reporter.event({ type: "stopping", signal, timeoutMs });
        },
      },
      stopTimeoutMs(env),
      watch,
      stopEarthly.signal,
    );
    // For the log and the manifest only, so asked while the build runs, started after it: nothing
    // more on the way to Earthly (bench/RESULTS.md). Settles, never rejects.
    versionCheck = earthlyVersion(strategy.version({ earthly: plan.argv[0] ?? "earthly", cwd, env }), watch.cancelSignal).then(
      (line) => {
        earthlyVersionLine = line;
        writeLog(`# ${line ?? "earthly --version gave nothing"}`);
        return undefined;
      },
      (error: unknown) => error,
    );
    const result = await running;
    const versionError = await versionCheck;
    const outcome = tracker.result();
    if (result.interruptedBy !== undefined) {
      writeLog(`# canvos: interrupted by ${result.interruptedBy}${result.killed ? "; Earthly did not stop in time and was killed" : ""}`);
      interruptionLogged = true;
      recordFailure("interrupted");
      throw new InterruptedError(result.interruptedBy);
    }
    // The log failed mid-build: Earthly was stopped, whatever it exited with means nothing now.
    const buildLogError = log.error;
    if (buildLogError !== undefined) {
      recordFailure("failed");
      throw logFailure(buildLogError);
    }
    // `earthly --version` found no binary (it went during the run): that says more than any result.
    if (versionError !== undefined) throw versionError;
    if (result.exitCode !== 0) {
      recordFailure("failed");
      throw failureError(result.exitCode, outcome, plan, logPath);
    }

    reporter.event({ type: "verifying" });
    // Hashing a large ISO takes a while: a signal stops the hashing itself, and the run ends here.
    const verification = await checkOutputs(plan, cwd, outcome, watch.cancelSignal);
    checkpoint();
    if (verification.problems.length > 0) {
      recordFailure("failed", verification);
      throw new BuildError(
        `Earthly reported success, but ${verification.problems.length === 1 ? "an output is" : "outputs are"} missing or wrong`,
        [...verification.problems, `log: ${logPath}`],
        "check that the Earthfile saves what canvos expects (SAVE ARTIFACT ... AS LOCAL, SAVE IMAGE) and that no --ci/--no-output flag was passed through",
      );
    }
    if (options.push) {
      // "Pushed" in Earthly's summary is not proof: ask the registry for every planned image.
      const { checkPushed } = await import("../registry/verify-push.js");
      let pushed: Awaited<ReturnType<typeof checkPushed>> | undefined;
      try {
        pushed = await Promise.race([
          checkPushed([...providerRefs], options.request.env, (message) => reporter.event({ type: "warning", message }), watch.cancelSignal),
          whenAborted(watch.cancelSignal).then(() => undefined),
        ]);
      } catch (error) {
        checkpoint();
        // Unverified is not succeeded: the record says so, the error says why (registry, auth).
        recordFailure("failed", verification);
        throw error;
      }
      checkpoint();
      if (pushed === undefined) throw new InterruptedError(watch.received ?? "SIGINT");
      if (pushed.missing.length > 0) {
        recordFailure("failed", verification);
        throw new BuildError(
          `Earthly reported success, but ${pushed.missing.length === 1 ? "an image is" : `${pushed.missing.length} images are`} not in the registry`,
          [...pushed.missing.map((ref) => `missing: ${ref}`), `log: ${logPath}`],
          "check that the Earthfile's SAVE IMAGE --push names these references and that the registry accepted the push (see the log)",
        );
      }
    }
    // The last buffered lines reach the disk before success is claimed: a full disk fails the run.
    log.close();
    const finalLogError = log.error;
    if (finalLogError !== undefined) {
      recordFailure("failed", verification);
      throw logFailure(finalLogError);
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
  } catch (error) {
    // Whatever was under way when a signal came (a cancelled docker step, `earthly --version`,
    // verification), the run was interrupted: the log and the record say so, and so does the exit code.
    const signal = watch.received ?? (error instanceof InterruptedError ? error.signal : undefined);
    if (signal === undefined) throw error;
    if (!interruptionLogged) {
      writeLog(`# canvos: interrupted by ${signal}`);
      if (log !== undefined) recordFailure("interrupted");
    }
    throw error instanceof InterruptedError ? error : new InterruptedError(signal);
  } finally {
    // A build that failed early does not leave `earthly --version` behind.
    await versionCheck;
    removeRunFiles(cwd, files);
    clearStage(cwd, staging);
    // The BuildKit helper goes after success, failure and Ctrl-C alike.
    await runner?.stop();
    reporter.stop();
    // Safe twice, and never throws: a failure was reported already (or the run failed first).
    log?.close();
    lock.release();
    watch.dispose();
  }
}
