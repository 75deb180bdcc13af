// One build command from start to end, its steps in the order they run: plan, prepare the
// workspace, start the runner, run Earthly, check the outputs, record, report. The session
// (session.ts) holds what the steps take and releases it, whichever step ends the run. Prints
// nothing itself except the results on stdout; progress goes through the reporter, errors are thrown.
import { join } from "node:path";
import { maskArgv } from "../earthly/args.js";
import { cleanLines } from "../earthly/clean-bytes.js";
import { OutputTracker, type EarthlyOutcome } from "../earthly/output.js";
import { earthlyVersion, nativeRunner, runEarthly, SignalWatch, stopTimeoutMs, type RunnerStrategy } from "../earthly/runner.js";
import { DEFAULT_RUNNER_SETTINGS, startRunner } from "../earthly/runner-setup.js";
import { readSecrets } from "../earthly/secrets.js";
import { BuildError, EnvironmentError, InterruptedError } from "../errors.js";
import { planJson, renderPlan } from "../plan/plan.js";
import { killedWords, killingMessage } from "../report/progress.js";
import { renderProfile } from "../plan/profile.js";
import { BUILDS_ISO, BUILDS_PROVIDERS, type BuildCommand } from "../plan/targets.js";
import { canvosVersion } from "../config/package-version.js";
import { checkOutputs, notNamedByEarthly, type Verification } from "../verify/verify.js";
import { fsReason, isFsError, makeDir } from "../workspace/fs-errors.js";
import { keepLogs, LOG_DIR, LogFile, logPathFor, pruneLogs } from "../workspace/log-file.js";
import { failureRecord, manifestPathFor } from "../workspace/manifest.js";
import { PreviousArtifacts } from "../workspace/previous.js";
import { writeRunFiles } from "../workspace/run-files.js";
import { stageFiles } from "../workspace/stage.js";
import { jsonText } from "../text.js";
import { bootFailure, failureError } from "./failure.js";
import { planBuild, sensitiveParts, type BuildContext, type BuildOptions, type PlannedBuild } from "./plan-build.js";
import { BuildSession } from "./session.js";

export type { BuildContext, BuildOptions } from "./plan-build.js";
export { planBuild, sensitiveParts } from "./plan-build.js";
export { failureError } from "./failure.js";

const defaultContext = (): BuildContext => ({ stdout: process.stdout, stderr: process.stderr, strategy: nativeRunner });

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
  let session: BuildSession | undefined;
  try {
    const planned = await plan(options);
    if (options.dryRun) {
      context.stdout.write(options.json ? jsonText(planJson(planned.plan)) : renderPlan(planned.plan));
      return;
    }
    // Asked before anything starts, so a prompt never interleaves with progress.
    const secretValues = await readSecrets((options.runner ?? DEFAULT_RUNNER_SETTINGS).secrets, options.request.env);
    session = await BuildSession.open(options, planned, context.stderr, start);
    try {
      prepareWorkspace(session);
      const strategy = await startTheRunner(session, secretValues, context.strategy);
      const outcome = await runTheBuild(session, strategy);
      const verification = await checkTheOutputs(session, outcome);
      record(session, verification);
      report(session, verification, context);
    } catch (error) {
      throw session.failure(error);
    } finally {
      await session.release();
    }
  } catch (error) {
    // --json: CI reads how the run ended from stdout whatever happened; stderr and the exit code still say it too.
    if (options.json && !options.dryRun) context.stdout.write(jsonText(buildJson(options.command, session, error)));
    throw error;
  }
}

/**
 * A real run's --json: its record as the manifest holds it, and where that is. A run that ended
 * before it had a record (invalid configuration, a busy workspace) says so in the same shape.
 */
function buildJson(command: BuildCommand, session: BuildSession | undefined, error?: unknown): Record<string, unknown> {
  const record = session?.record;
  if (record === undefined) {
    return { canvos: canvosVersion(), command, status: error instanceof InterruptedError ? "interrupted" : "failed", manifest: null, error: failureRecord(error) };
  }
  const profile = record.status === "succeeded" && BUILDS_PROVIDERS[command] && session !== undefined ? { profileSnippet: renderProfile(session.planned.plan.profile) } : {};
  return { ...record, manifest: manifestPathFor(command), ...profile };
}

/** Signals while canvos plans (a docker pull of the Earthly image can take minutes) end it at once; nothing is held yet. */
async function plan(options: BuildOptions): Promise<PlannedBuild> {
  const planWatch = new SignalWatch();
  let planned: PlannedBuild;
  try {
    planned = await planBuild(options, planWatch.cancelSignal);
  } finally {
    planWatch.dispose();
  }
  if (planWatch.received !== undefined) throw new InterruptedError(planWatch.received);
  return planned;
}

/** The run's arg file, the log, staged files, and the earlier run's artifacts set aside. */
function prepareWorkspace(session: BuildSession): void {
  const { cwd } = session;
  const { plan, staging } = session.planned;
  // Created 0600 before anything is written: the proxy passwords in the arg file are for Earthly alone.
  writeRunFiles(cwd, session.runFiles);
  try {
    // build/ must take the log (and later the manifest and the ISO): checked before Earthly starts.
    makeDir(join(cwd, LOG_DIR));
    session.log = new LogFile(cwd, (attempt) => logPathFor(session.options.command, session.start, attempt));
    session.logPath = session.log.relativePath;
  } catch (error) {
    if (!isFsError(error)) throw error;
    throw buildDirError(cwd, error);
  }
  session.writeLog(`# canvos ${session.options.command} ${session.start.toISOString()}`);
  session.writeLog(`# ${maskArgv(plan.argv, plan.secretKeys).join(" ")}`);
  const keep = keepLogs(session.options.request.env);
  const pruned = pruneLogs(cwd, keep, session.logPath);
  if (pruned.length > 0) session.writeLog(`# canvos: removed the ${pruned.length} oldest of canvos's logs, keeping the last ${keep} (CANVOS_KEEP_LOGS)`);
  for (const warning of plan.warnings) {
    if (warning.severity === "warning") session.reporter.event({ type: "warning", message: `${warning.where}: ${warning.message}` });
  }
  stageFiles(cwd, staging);
  for (const file of staging.files) session.writeLog(`# canvos: ${file.name} ${file.from} staged as ${file.to} (Earthly reads only inside the workspace)`);
  session.previous = PreviousArtifacts.setAside(cwd, plan.artifacts);
  for (const path of plan.artifacts) if (session.previous.holds(path)) session.writeLog(`# canvos: ${path} of an earlier run set aside as ${path}.previous until this run's is checked`);
}

/** Earthly natively or in its container, with the BuildKit helper a proxy needs. */
async function startTheRunner(session: BuildSession, secretValues: Readonly<Record<string, string>>, native: RunnerStrategy): Promise<RunnerStrategy> {
  const { prepared, resolved, luetPasswords } = session.planned;
  session.checkpoint();
  session.runner = await startRunner(prepared, session.options.runner ?? DEFAULT_RUNNER_SETTINGS, resolved.config, session.options.request.env, session.cwd, secretValues, luetPasswords, session.watch.cancelSignal);
  session.checkpoint();
  if (session.runner.helper) session.writeLog(`# canvos: proxy mode, BuildKit helper ${session.runner.helper.name}`);
  const earlyLogError = session.logError();
  if (earlyLogError !== undefined) throw session.logFailure(earlyLogError);
  return prepared.kind === "docker" ? session.runner.strategy : native;
}

/** Earthly's run, its output into the log and the reporter; a failure becomes the error that says where. */
async function runTheBuild(session: BuildSession, strategy: RunnerStrategy): Promise<EarthlyOutcome> {
  const { cwd, reporter, watch } = session;
  const { plan } = session.planned;
  const runner = session.runner;
  if (runner === undefined) throw new Error("the runner must be started before the build");
  const env = runner.env;
  // Proxy passwords travel in the arg file, but a build step may still print them.
  const redact = [...runner.redact, ...sensitiveParts(plan.buildArgs, plan.secretKeys)];

  const providerRefs = new Set(plan.images.filter((i) => i.kind === "provider").map((i) => i.ref));
  const doneRefs = new Set<string>();
  const markDone = (ref: string): void => {
    if (!providerRefs.has(ref) || doneRefs.has(ref)) return;
    doneRefs.add(ref);
    reporter.event({ type: "image", ref, done: doneRefs.size, total: providerRefs.size });
  };
  reporter.event({ type: "start", command: session.options.command, target: plan.target, logPath: session.logPath, providerImages: providerRefs.size });

  const tracker = new OutputTracker();
  const stopTimeout = stopTimeoutMs(env);
  const running = runEarthly(
    { ...strategy.build({ earthly: plan.argv[0] ?? "earthly", flags: plan.flags, target: plan.target, buildArgs: plan.buildArgs, secretKeys: plan.secretKeys, cwd, env }), redact },
    {
      // Runs of whole lines as bytes (a GB of log must not cost a string per line): cleaned once
      // for the log and a plain --verbose; the tracker decodes only lines that can matter.
      onOutput(stream, raw) {
        const clean = cleanLines(raw, !reporter.rawOutput);
        const log = session.log;
        if (log !== undefined && log.error === undefined) {
          log.writeBytes(clean);
          if (log.error !== undefined) session.stopEarthly.abort();
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
        session.writeLog(`# canvos: ${signal} received, forwarded to Earthly`);
        reporter.event({ type: "stopping", signal, timeoutMs });
      },
      onKilling(by) {
        session.writeLog(`# canvos: ${killingMessage(by, stopTimeout)}`);
        reporter.event({ type: "killing", by, timeoutMs: stopTimeout });
      },
    },
    stopTimeout,
    watch,
    session.stopEarthly.signal,
  );
  // For the log and the manifest only, so asked while the build runs, started after it: nothing
  // more on the way to Earthly (bench/RESULTS.md). Settles, never rejects.
  session.versionCheck = earthlyVersion(strategy.version({ earthly: plan.argv[0] ?? "earthly", cwd, env }), watch.cancelSignal).then(
    (line) => {
      session.earthlyVersionLine = line;
      session.writeLog(`# ${line ?? "earthly --version gave nothing"}`);
      return undefined;
    },
    (error: unknown) => error,
  );
  const result = await running;
  const versionError = await session.versionCheck;
  const outcome = tracker.result();
  if (result.interruptedBy !== undefined) {
    const killed = result.killed !== undefined ? `; ${killedWords(result.killed, stopTimeout)}` : "";
    session.writeLog(`# canvos: interrupted by ${result.interruptedBy}${killed}`);
    session.interruptionLogged = true;
    session.recordFailure("interrupted");
    throw new InterruptedError(result.interruptedBy, `after ${session.elapsed()}${killed}`);
  }
  // The log failed mid-build: Earthly was stopped, whatever it exited with means nothing now.
  const buildLogError = session.logError();
  if (buildLogError !== undefined) {
    session.recordFailure("failed");
    throw session.logFailure(buildLogError);
  }
  // `earthly --version` found no binary (it went during the run): that says more than any result.
  if (versionError !== undefined) throw versionError;
  if (result.exitCode !== 0) {
    session.recordFailure("failed");
    throw failureError(result.exitCode, outcome, plan, session.logPath);
  }
  return outcome;
}

/** What Earthly made, on disk and in the registry, checked against the plan. */
async function checkTheOutputs(session: BuildSession, outcome: EarthlyOutcome): Promise<Verification> {
  const { cwd, reporter, watch, logPath } = session;
  const { plan, resolved } = session.planned;
  reporter.event({ type: "verifying" });
  const iso = BUILDS_ISO[session.options.command] ? await (await import("../verify/iso-expect.js")).isoExpectation(resolved.config, cwd) : undefined;
  // Hashing a large ISO takes a while: a signal stops the hashing itself, and the run ends here.
  const verification = await checkOutputs(plan, cwd, outcome, watch.cancelSignal, iso);
  session.checkpoint();
  verification.problems.unshift(...notNamedByEarthly(plan, outcome));
  if (verification.problems.length > 0) {
    session.recordFailure("failed", verification);
    throw new BuildError(
      `Earthly reported success, but ${verification.problems.length === 1 ? "an output is" : "outputs are"} missing or wrong`,
      [...verification.problems, `log: ${logPath}`],
      "check that the Earthfile saves what canvos expects (SAVE ARTIFACT ... AS LOCAL, SAVE IMAGE) and that no --ci/--no-output flag was passed through",
    );
  }
  if (plan.push) {
    // "Pushed" in Earthly's summary is not proof: ask the registry for every planned image.
    const { checkPushed } = await import("../registry/verify-push.js");
    const providerRefs = plan.images.filter((i) => i.kind === "provider").map((i) => i.ref);
    let pushed: Awaited<ReturnType<typeof checkPushed>> | undefined;
    try {
      pushed = await Promise.race([
        checkPushed(providerRefs, session.options.request.env, (message) => reporter.event({ type: "warning", message }), watch.cancelSignal),
        whenAborted(watch.cancelSignal).then(() => undefined),
      ]);
    } catch (error) {
      session.checkpoint();
      // Unverified is not succeeded: the record says so, the error says why (registry, auth).
      session.recordFailure("failed", verification);
      throw error;
    }
    session.checkpoint();
    if (pushed === undefined) throw new InterruptedError(watch.received ?? "SIGINT");
    if (pushed.missing.length > 0) {
      session.recordFailure("failed", verification);
      throw new BuildError(
        `Earthly reported success, but ${pushed.missing.length === 1 ? "an image is" : `${pushed.missing.length} images are`} not in the registry`,
        [...pushed.missing.map((ref) => `missing: ${ref}`), `log: ${logPath}`],
        "check that the Earthfile's SAVE IMAGE --push names these references and that the registry accepted the push (see the log)",
      );
    }
  }
  await checkTheImages(session, verification);
  if (session.options.boot !== undefined) await bootTheIso(session, resolved.config.ARCH, session.options.boot.timeoutSeconds, verification);
  return verification;
}

/**
 * Each planned image as a device and Palette will take it: for linux/$ARCH, its /etc/os-release the
 * planned distribution's Kairos one. A pushed image is read from the registry, the others from the
 * local Docker Earthly loaded them into.
 */
async function checkTheImages(session: BuildSession, verification: Verification): Promise<void> {
  const { plan, resolved } = session.planned;
  if (plan.images.length === 0) return;
  const { checkImage } = await import("../image/check.js");
  const failed: string[] = [];
  for (const image of plan.images) {
    const registry = image.push && plan.push;
    let check: Awaited<ReturnType<typeof checkImage>>;
    try {
      check = await checkImage(image.ref, { arch: resolved.config.ARCH, distribution: resolved.config.OS_DISTRIBUTION, env: session.options.request.env, registry, signal: session.watch.cancelSignal });
    } catch (error) {
      // A Ctrl-C ends a download mid-way: that is the interruption, not a registry problem.
      session.checkpoint();
      session.recordFailure("failed", verification);
      throw error;
    }
    session.checkpoint();
    const record = verification.images.find((i) => i.ref === image.ref);
    if (record !== undefined) record.checked = check.where;
    session.writeLog(`# canvos: image ${image.ref} (${check.where}): ${check.problems.length === 0 ? "ok" : check.problems.join("; ")}`);
    failed.push(...check.problems.map((problem) => `image ${image.ref} (${check.where}) ${problem}`));
  }
  if (failed.length > 0) {
    session.recordFailure("failed", verification);
    throw new BuildError(
      `Earthly reported success, but ${failed.length === 1 ? "an image is" : "images are"} not what the configuration builds`,
      [...failed, `log: ${session.logPath}`],
      "check the Earthfile's base image and the ARCH and OS_DISTRIBUTION it was given (see the log)",
    );
  }
}

/** --boot: the ISO started in QEMU, as a device's firmware would. */
async function bootTheIso(session: BuildSession, arch: string, timeoutSeconds: number, verification: Verification): Promise<void> {
  const iso = session.planned.plan.artifacts.find((a) => a.endsWith(".iso"));
  if (iso === undefined) return;
  const { bootIso } = await import("../boot/qemu.js");
  session.reporter.event({ type: "booting", iso, timeoutSeconds });
  const result = await bootIso(join(session.cwd, iso), { arch, timeoutSeconds, env: session.options.request.env, signal: session.watch.cancelSignal });
  session.checkpoint();
  session.writeLog(`# canvos: --boot (${result.accelerator}, ${result.seconds.toFixed(1)} s): ${result.banner ?? "no kernel banner"}`);
  if (!result.booted) {
    session.recordFailure("failed", verification);
    throw bootFailure(iso, timeoutSeconds, result.lastLines);
  }
}

/** The log complete on disk, then the manifest: a full disk fails the run before success is claimed. */
function record(session: BuildSession, verification: Verification): void {
  session.log?.close();
  const finalLogError = session.logError();
  if (finalLogError !== undefined) {
    session.recordFailure("failed", verification);
    throw session.logFailure(finalLogError);
  }
  session.writeManifest("succeeded", verification);
  session.succeeded = true;
}

function report(session: BuildSession, verification: Verification, context: BuildContext): void {
  const { plan } = session.planned;
  session.reporter.summary({
    command: session.options.command,
    durationMs: Date.now() - session.start.getTime(),
    artifacts: verification.artifacts,
    images: verification.images,
    logPath: session.logPath,
    manifestPath: manifestPathFor(session.options.command),
    registry: plan.registry,
  });
  if (session.options.json) context.stdout.write(jsonText(buildJson(session.options.command, session)));
  else if (BUILDS_PROVIDERS[session.options.command]) context.stdout.write(renderProfile(plan.profile));
}
