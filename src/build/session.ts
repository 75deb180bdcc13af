// Everything a running build holds, and the one place that lets it go: the signal watch, the
// workspace lock, the run's arg file, the log, staged files, the earlier run's artifacts set
// aside, the BuildKit helper, the reporter. Whatever step fails, release() undoes them all.
import { join } from "node:path";
import { canvosVersion } from "../config/package-version.js";
import { runFiles } from "../earthly/args.js";
import type { Reporter } from "../earthly/events.js";
import { SignalWatch } from "../earthly/runner.js";
import type { StartedRunner } from "../earthly/runner-setup.js";
import { BuildError, EnvironmentError, InterruptedError } from "../errors.js";
import { createReporter } from "../report/reporter.js";
import { formatDuration } from "../report/summary.js";
import type { Verification } from "../verify/verify.js";
import { fsReason } from "../workspace/fs-errors.js";
import { acquireLock, type WorkspaceLock } from "../workspace/lock.js";
import { logPathFor, type LogFile } from "../workspace/log-file.js";
import { createManifest, failureRecord, writeManifest, type Manifest } from "../workspace/manifest.js";
import type { PreviousArtifacts } from "../workspace/previous.js";
import { removeRunFiles } from "../workspace/run-files.js";
import { clearStage } from "../workspace/stage.js";
import type { BuildOptions, PlannedBuild } from "./plan-build.js";

export class BuildSession {
  readonly cwd: string;
  /** The run's own arg, secret and env files under .canvos/, by name (Earthly reads only these). */
  readonly runFiles: Readonly<Record<string, string>>;
  /** Where the log goes: the first free name, known once the log is open (before: the one it will try first). */
  logPath: string;
  log: LogFile | undefined;
  runner: StartedRunner | undefined;
  previous: PreviousArtifacts | undefined;
  earthlyVersionLine: string | undefined;
  /** `earthly --version`, asked while the build runs; settles, never rejects. */
  versionCheck: Promise<unknown> = Promise.resolve(undefined);
  /**
   * The build log may fail under a full disk: LogFile never throws, it keeps its first failure in
   * `error` and writes nothing more. Earthly is then stopped through the runner's own stop path
   * (canvos cannot go on without its log), and the run ends in one clear error.
   */
  readonly stopEarthly = new AbortController();
  interruptionLogged = false;
  succeeded = false;
  /** What the run's manifest holds, once written. */
  record: Manifest | undefined;

  private constructor(
    readonly options: BuildOptions,
    readonly planned: PlannedBuild,
    readonly start: Date,
    readonly reporter: Reporter,
    readonly watch: SignalWatch,
    private readonly lock: WorkspaceLock,
  ) {
    this.cwd = options.request.cwd;
    this.runFiles = runFiles(planned.plan.buildArgs, planned.plan.secretKeys);
    this.logPath = logPathFor(options.command, start);
  }

  static async open(options: BuildOptions, planned: PlannedBuild, stderr: NodeJS.WriteStream, start: Date): Promise<BuildSession> {
    // Before the lock and the signal watch: loading the spinner must not hold either.
    const reporter = await createReporter({ verbose: options.verbose, stderr, startedAt: start.getTime(), env: options.request.env });
    const watch = new SignalWatch();
    let lock: WorkspaceLock;
    try {
      lock = acquireLock(options.request.cwd, options.command);
    } catch (error) {
      watch.dispose();
      throw error;
    }
    return new BuildSession(options, planned, start, reporter, watch, lock);
  }

  writeLog(line: string): void {
    const log = this.log;
    if (log === undefined || log.error !== undefined) return;
    log.write(line);
    if (log.error !== undefined) this.stopEarthly.abort();
  }

  logFailure(error: Error): EnvironmentError {
    return new EnvironmentError(`cannot write the build log ${join(this.cwd, this.logPath)}: ${fsReason(error)}`, "free space on the disk that holds build/ (or make it writable), then run again");
  }

  /** The log's first failure, if writing it ever failed. */
  logError(): Error | undefined {
    return this.log?.error;
  }

  writeManifest(status: Manifest["status"], verification?: Verification): void {
    const record = createManifest({
      canvosVersion: canvosVersion(),
      plan: this.planned.plan,
      resolved: this.planned.resolved,
      status,
      earthlyVersion: this.earthlyVersionLine,
      images: verification?.images ?? [],
      artifacts: verification?.artifacts ?? [],
      log: this.logPath,
      start: this.start,
      end: new Date(),
    });
    writeManifest(this.cwd, record);
    this.record = record;
  }

  /** On the way out of a failure: the record is best effort, the error being thrown says what happened. */
  recordFailure(status: Exclude<Manifest["status"], "succeeded">, verification?: Verification): void {
    try {
      this.writeManifest(status, verification);
    } catch {
      // build/ is unwritable or full; the error in flight is the one to report.
    }
  }

  /** How long the run has taken so far, for the end line: `41 min 3 s`. */
  elapsed(): string {
    return formatDuration(Date.now() - this.start.getTime());
  }

  /** A signal that came while canvos worked on its own (not while Earthly ran) ends the run here. */
  checkpoint(): void {
    if (this.watch.received !== undefined) throw new InterruptedError(this.watch.received);
  }

  /**
   * The error the run ends with. Whatever was under way when a signal came (a cancelled docker
   * step, `earthly --version`, verification), the run was interrupted: the log and the record say
   * so, and so does the exit code. A failed or interrupted build says how long it ran.
   */
  failure(error: unknown): unknown {
    const final = this.endedBy(error);
    // Every run that got as far as its log leaves its own record, never the last run's, and the
    // record says how it ended in the words of stderr.
    if (this.log !== undefined) {
      const status = final instanceof InterruptedError ? "interrupted" : "failed";
      if (this.record === undefined || this.record.status !== status) this.recordFailure(status);
      if (this.record !== undefined) this.rewriteRecord({ ...this.record, error: failureRecord(final) });
    }
    return final;
  }

  private endedBy(error: unknown): unknown {
    const signal = this.watch.received ?? (error instanceof InterruptedError ? error.signal : undefined);
    if (signal === undefined) {
      if (!(error instanceof BuildError)) return error;
      return new BuildError(`${error.message}, after ${this.elapsed()}`, error.details, error.hint, error.location);
    }
    if (!this.interruptionLogged) this.writeLog(`# canvos: interrupted by ${signal}`);
    return error instanceof InterruptedError && error.detail !== undefined ? error : new InterruptedError(signal, `after ${this.elapsed()}`);
  }

  private rewriteRecord(record: Manifest): void {
    try {
      writeManifest(this.cwd, record);
      this.record = record;
    } catch {
      // As recordFailure: the error in flight is the one to report.
    }
  }

  /** Success, failure and Ctrl-C alike. */
  async release(): Promise<void> {
    // A build that failed early does not leave `earthly --version` behind.
    await this.versionCheck;
    removeRunFiles(this.cwd, this.runFiles);
    clearStage(this.cwd, this.planned.staging);
    const note = this.previous?.settle(this.succeeded);
    if (note !== undefined) this.reporter.event({ type: "warning", message: note });
    // The BuildKit helper goes after success, failure and Ctrl-C alike.
    await this.runner?.stop();
    this.reporter.stop();
    // Safe twice, and never throws: a failure was reported already (or the run failed first).
    this.log?.close();
    this.lock.release();
    this.watch.dispose();
  }
}
