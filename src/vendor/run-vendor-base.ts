// `canvos vendor-base FLAVOUR` from start to end: plan, the secrets checked, `docker build` run
// through the one child-process module (src/earthly/runner.ts: streamed, logged, secrets masked,
// Ctrl-C forwarded), pushed on request, the image checked, the .arg lines printed. Progress goes
// to stderr, the .arg lines alone to stdout.
import { join } from "node:path";
import { cleanLines } from "../earthly/clean-bytes.js";
import { childEnv, runEarthly, SignalWatch, stopTimeoutMs, type EarthlyInvocation } from "../earthly/runner.js";
import { BuildError, EnvironmentError, InterruptedError } from "../errors.js";
import { jsonText, printable } from "../text.js";
import { fsReason, isFsError, makeDir } from "../workspace/fs-errors.js";
import { LOG_DIR, LogFile, logPathFor } from "../workspace/log-file.js";
import { allSecrets, FLAVOUR_SPECS } from "./flavours.js";
import { argLines, createVendorPlan, renderVendorPlan, requireSecrets, vendorPlanJson, type VendorOptions, type VendorPlan } from "./plan.js";

export interface VendorRunOptions extends VendorOptions {
  cwd: string;
  dryRun: boolean;
  json: boolean;
  verbose: boolean;
}

export interface VendorIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const LAST_LINES = 12;

export async function runVendorBase(options: VendorRunOptions, io: VendorIo = { stdout: process.stdout, stderr: process.stderr }): Promise<void> {
  const plan = createVendorPlan(options);
  if (options.dryRun) {
    io.stdout.write(options.json ? jsonText(vendorPlanJson(plan)) : renderVendorPlan(plan));
    return;
  }
  requireSecrets(options.flavour, options.env);
  const start = new Date();
  let log: LogFile;
  try {
    makeDir(join(options.cwd, LOG_DIR));
    log = new LogFile(options.cwd, (attempt) => logPathFor(`vendor-base-${options.flavour}`, start, attempt));
  } catch (error) {
    if (!isFsError(error)) throw error;
    throw new EnvironmentError(`cannot write the log in ${join(options.cwd, LOG_DIR)}: ${fsReason(error)}`, "run canvos vendor-base in a writable folder (it keeps its log in build/logs/)");
  }
  const watch = new SignalWatch();
  // Every secret value masked in the log and on the terminal, should a vendor tool ever print one.
  const redact = allSecrets(FLAVOUR_SPECS[options.flavour])
    .map((s) => options.env[s.env] ?? "")
    .filter((v) => v !== "");
  const say = (line: string): void => void io.stderr.write(`${printable(line)}\n`);
  try {
    log.write(`# canvos vendor-base ${options.flavour} ${start.toISOString()}`);
    log.write(`# ${Object.entries(plan.env).map(([k, v]) => `${k}=${v}`).join(" ")} ${plan.argv.join(" ")}`);
    say(`canvos vendor-base ${options.flavour}: building ${plan.image} from ${plan.definition} (log: ${log.relativePath})`);
    await step(plan.argv, "docker build", plan, options, log, watch, redact, io);
    if (plan.push) {
      say(`pushing ${plan.image}`);
      await step([plan.argv[0] ?? "docker", "push", plan.image], "docker push", plan, options, log, watch, redact, io);
    }
    const { checkImage } = await import("../image/check.js");
    const check = await checkImage(plan.image, { arch: plan.arch, distribution: plan.distribution, env: options.env, registry: plan.push, signal: watch.cancelSignal, docker: plan.argv[0] });
    if (watch.received !== undefined) throw new InterruptedError(watch.received);
    log.write(`# canvos: image ${plan.image} (${check.where}): ${check.problems.length === 0 ? "ok" : check.problems.join("; ")}`);
    if (check.problems.length > 0) {
      throw new BuildError(
        `docker build succeeded, but ${plan.image} is not the image ${plan.definition} makes`,
        [...check.problems.map((p) => `image ${plan.image} (${check.where}) ${p}`), `log: ${log.relativePath}`],
        "check the --vendor-image and --framework-image it was built from (see the log)",
      );
    }
    log.close();
    if (log.error !== undefined) throw new EnvironmentError(`cannot write the log ${log.relativePath}: ${fsReason(log.error)}`, "free space on the disk that holds build/");
    say(`built ${plan.image}${plan.push ? ", pushed" : ""}; checked in the ${check.where}: ${plan.platform}, KAIROS_FLAVOR=${plan.distribution}`);
    say("put these lines in .arg (or pass them as flags):");
    io.stdout.write(argLines(plan));
  } finally {
    log.close();
    watch.dispose();
  }
}

/** One docker command, its output into the log (and to stderr with --verbose); a failure is a BuildError with its last lines. */
async function step(argv: readonly string[], what: string, plan: VendorPlan, options: VendorRunOptions, log: LogFile, watch: SignalWatch, redact: string[], io: VendorIo): Promise<void> {
  const last: string[] = [];
  const invocation: EarthlyInvocation = {
    file: argv[0] ?? "docker",
    args: argv.slice(1),
    // The secrets' values reach BuildKit only this way: `--secret id=...,env=NAME` names the variable.
    env: { ...childEnv(options.env), ...plan.env },
    cwd: options.cwd,
    redact,
    missing: { message: `cannot run ${argv[0] ?? "docker"} for ${what}`, hint: "install Docker 20.10 or later (docker.io) or set --docker / CANVOS_DOCKER_BIN" },
  };
  const result = await runEarthly(
    invocation,
    {
      onOutput(_stream, raw) {
        const clean = cleanLines(raw, false);
        log.writeBytes(clean);
        if (options.verbose) io.stderr.write(clean);
        for (const line of clean.toString("utf8").split("\n")) {
          if (line.trim() === "") continue;
          last.push(line);
          if (last.length > LAST_LINES) last.shift();
        }
      },
      onStopping(signal) {
        log.write(`# canvos: ${signal} received, forwarded to ${what}`);
      },
    },
    stopTimeoutMs(options.env),
    watch,
  );
  if (result.interruptedBy !== undefined) {
    log.write(`# canvos: interrupted by ${result.interruptedBy}`);
    throw new InterruptedError(result.interruptedBy);
  }
  if (result.exitCode !== 0) {
    const how = result.exitCode === undefined ? "was killed" : `exited with code ${result.exitCode}`;
    throw new BuildError(
      `${what} of ${plan.definition} failed (${how})`,
      ["last lines:", ...last.map((l) => `  | ${l}`), `log: ${log.relativePath}`],
      what === "docker push" ? "log in to the registry first (docker login) and check the --tag's name" : /buildx|BuildKit is enabled/i.test(last.join("\n")) ? "this docker CLI cannot build with BuildKit: install its buildx plugin (docker-buildx), or point --docker at a client that has it" : undefined,
    );
  }
}
