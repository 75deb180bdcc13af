// THE module that starts child processes. A strategy turns a request into an EarthlyInvocation
// (file, args, env); one path spawns it, streams its lines, forwards signals and reaps it. The
// native strategy runs a local binary; a docker strategy (Earthly in its container) can plug in
// by building a different invocation and a different way to deliver a signal.
import type { ResultPromise } from "execa";
import type { Readable } from "node:stream";
import { EnvironmentError } from "../errors.js";
import { earthlyArgs } from "./args.js";
import { redactBytes } from "./clean-bytes.js";
import { LineSplitter, MAX_LINE, type CutGuard } from "./line-splitter.js";

// execa loads when a child is about to start: validate, profile and dry runs never pay for it.
let execaModule: Promise<typeof import("execa")> | undefined;
const loadExeca = (): Promise<typeof import("execa")> => (execaModule ??= import("execa"));

export interface EarthlyInvocation {
  file: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * Earthly runs in this named container (the docker runner): signals go to it by name through
   * `docker kill`, since `docker run` forwards nothing it does not receive.
   */
  container?: { docker: string; name: string };
  /** Values (secrets, registry passwords) replaced by **** in every line Earthly prints. */
  redact?: readonly string[];
  /** What to say when `file` cannot be run, for a program other than Earthly (`docker build`). */
  missing?: { message: string; hint: string };
}

export interface EarthlyRequest {
  /** The Earthly binary (native) or what the strategy needs to find it. */
  earthly: string;
  flags: readonly string[];
  target: string;
  buildArgs: Readonly<Record<string, string>>;
  /** Build args secret as a whole (BuildPlan.secretKeys): kept off the command line. */
  secretKeys?: ReadonlySet<string> | undefined;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface RunnerStrategy {
  readonly name: string;
  build(request: EarthlyRequest): EarthlyInvocation;
  version(request: Pick<EarthlyRequest, "earthly" | "cwd" | "env">): EarthlyInvocation;
}

// Earthly would add these build args and secrets behind canvos's back (earthly.md, precedence);
// what Earthly receives must be exactly the resolved configuration and the secrets named by --secret.
// EarthBuild reads the same under EARTH_* (and EARTHLY_* still, in v0.8).
const HIDDEN_ARG_SOURCES = ["BUILD_ARGS", "ARG_FILE_PATH", "SECRET_FILE_PATH", "ENV_FILE_PATH", "SECRETS", "SECRET_FILES"].flatMap((s) => [`EARTHLY_${s}`, `EARTH_${s}`]);

export function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const name of HIDDEN_ARG_SOURCES) delete out[name];
  return out;
}

export const nativeRunner: RunnerStrategy = {
  name: "native",
  build(request) {
    return { file: request.earthly, args: earthlyArgs(request.flags, request.target, request.buildArgs, request.secretKeys), env: childEnv(request.env), cwd: request.cwd };
  },
  version(request) {
    return { file: request.earthly, args: ["--version"], env: childEnv(request.env), cwd: request.cwd };
  },
};

export type StreamName = "stdout" | "stderr";

export interface RunHandlers {
  /**
   * Earthly's output as it comes, in runs of whole lines (each ends in LF; colour and CR as Earthly
   * wrote them, secrets already masked). A promise back pauses that stream until it settles.
   */
  onOutput?(stream: StreamName, lines: Buffer): void | Promise<void>;
  /** One line at a time (lone CRs kept inside the line), for a caller without onOutput. */
  onLine?(stream: StreamName, line: string): void;
  /** A signal arrived; Earthly has been asked to stop and gets `timeoutMs` to clean up. */
  onStopping?(signal: NodeJS.Signals, timeoutMs: number): void;
  /** Earthly is being killed: its clean-up time ran out, or a second signal came. */
  onKilling?(by: KilledBy): void;
}

/** Why Earthly was killed: `timeout` (it did not stop within its clean-up time), or the second signal. */
export type KilledBy = "timeout" | NodeJS.Signals;

export interface RunResult {
  exitCode: number | undefined;
  /** The signal canvos received and forwarded, if the run was interrupted. */
  interruptedBy: NodeJS.Signals | undefined;
  /** Earthly was killed (why), rather than stopping by itself. */
  killed: KilledBy | undefined;
}

/** Earthly gets this long after a forwarded signal (it needs up to 30 s itself, earthly.md). */
export function stopTimeoutMs(env: NodeJS.ProcessEnv): number {
  const raw = Number(env["CANVOS_STOP_TIMEOUT_MS"]);
  return Number.isFinite(raw) && raw > 0 ? raw : 35_000;
}

const FORWARDED: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** How long Earthly's pipes may stay open after it exited before canvos closes them. */
const PIPE_GRACE_MS = 2_000;

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // The child leads its own process group: the group takes everything it started.
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

function killGroupOnly(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // No group left: nothing to do.
  }
}

function missingBinary(file: string): EnvironmentError {
  return new EnvironmentError(`cannot run Earthly at ${file}`, "install Earthly v0.8 (https://earthly.dev/get-earthly) or set --earthly-bin / CANVOS_EARTHLY_BIN");
}

/**
 * Hands over a stream's bytes in runs of whole lines, chunk by chunk as the pipe gives them: no
 * string per line, nothing accumulates (a line is cut at MAX_LINE). Resolves at the stream's end.
 */
function readChunks(stream: Readable | null, deliver: (lines: Buffer) => void | Promise<void>, guard: CutGuard | undefined): Promise<void> {
  if (!stream) return Promise.resolve();
  const splitter = new LineSplitter(MAX_LINE, guard);
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      const rest = splitter.end();
      if (rest.length > 0) void deliver(rest);
      resolve();
    };
    stream.on("data", (chunk: Buffer | string) => {
      let wait: void | Promise<void> = undefined;
      for (const lines of splitter.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk)) {
        const next = deliver(lines);
        if (next !== undefined) wait = wait === undefined ? next : wait.then(() => next);
      }
      if (wait === undefined) return;
      // The consumer is behind (a terminal slower than Earthly): Earthly waits on its pipe meanwhile.
      stream.pause();
      const resume = (): void => {
        if (!done) stream.resume();
      };
      wait.then(resume, resume);
    });
    stream.once("end", finish);
    stream.once("close", finish);
    stream.once("error", finish);
  });
}

/** The line-at-a-time view of runs of lines, for handlers without onOutput. */
function eachLine(lines: Buffer, onLine: (line: string) => void): void {
  const text = lines.toString("utf8");
  let start = 0;
  for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
    const end = nl > start && text.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl;
    onLine(text.slice(start, end));
    start = nl + 1;
  }
}

/**
 * Catches SIGINT/SIGTERM/SIGHUP for the whole run, from before Earthly starts until canvos is
 * done, so a Ctrl-C at any moment ends in a clean exit 130/143 with the workspace lock released.
 */
export class SignalWatch {
  received: NodeJS.Signals | undefined;
  private readonly listeners = new Set<(signal: NodeJS.Signals) => void>();
  private readonly controller = new AbortController();
  /**
   * Aborted (reason: the signal) at the first signal. Every child canvos starts before the build
   * (docker pull, the BuildKit helper, `earthly --version`) takes it, so none makes a Ctrl-C wait.
   */
  readonly cancelSignal: AbortSignal = this.controller.signal;
  private readonly handler = (signal: NodeJS.Signals): void => {
    if (this.received === undefined) {
      this.received = signal;
      this.controller.abort(signal);
    }
    for (const listener of this.listeners) listener(signal);
  };

  constructor() {
    for (const signal of FORWARDED) process.on(signal, this.handler);
  }

  listen(listener: (signal: NodeJS.Signals) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    for (const signal of FORWARDED) process.off(signal, this.handler);
  }
}

export async function runEarthly(invocation: EarthlyInvocation, handlers: RunHandlers, timeoutMs: number, watch: SignalWatch, stop?: AbortSignal): Promise<RunResult> {
  // Stopped before it started: nothing to run, nothing to clean up.
  if (watch.received !== undefined) return { exitCode: undefined, interruptedBy: watch.received, killed: undefined };
  if (stop?.aborted === true) return { exitCode: undefined, interruptedBy: undefined, killed: undefined };
  // execaSync too, now: the exit hook below runs synchronously and cannot wait for an import.
  const { execa, execaSync } = await loadExeca();
  // Its own process group (detached), so a terminal's Ctrl-C reaches canvos only and Earthly gets
  // exactly one signal from us: a second one would make Earthly abort its clean-up (exit 9).
  const child: ResultPromise = execa(invocation.file, [...invocation.args], {
    cwd: invocation.cwd,
    env: invocation.env,
    extendEnv: false,
    stdin: "ignore",
    buffer: false,
    reject: false,
    detached: true,
    stripFinalNewline: false,
  });
  const pid = child.pid;
  let interruptedBy: NodeJS.Signals | undefined;
  let killed: KilledBy | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let exited = false;
  // canvos itself cannot go on (its log failed): Earthly is stopped like on a SIGTERM, but the run is not "interrupted".
  let stopped = false;

  const container = invocation.container;
  const toolEnv = invocation.env;
  const ask = (signal: "SIGINT" | "SIGTERM"): void => {
    if (container) void runTool(container.docker, ["kill", `--signal=${signal.slice(3)}`, container.name], { env: toolEnv, timeoutMs: 30_000 });
    else if (pid !== undefined) signalGroup(pid, signal);
  };
  let forced: () => void = () => undefined;
  const whenForced = new Promise<void>((resolve) => (forced = resolve));
  const force = (by: KilledBy): void => {
    if (killed === undefined) {
      killed = by;
      handlers.onKilling?.(by);
    }
    forced();
    // The container first: killing the docker CLI alone would leave Earthly running in it.
    if (container) void runTool(container.docker, ["rm", "-f", container.name], { env: toolEnv, timeoutMs: 30_000 });
    if (pid !== undefined) signalGroup(pid, "SIGKILL");
  };
  // Earthly gets timeoutMs to clean up after being asked to stop, then goes.
  const forceLater = (): void => {
    killTimer = setTimeout(() => force("timeout"), timeoutMs);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (pid === undefined || exited) return;
    if (interruptedBy === undefined) {
      interruptedBy = signal;
      handlers.onStopping?.(signal, timeoutMs);
      // Already asked to stop: a second signal to Earthly would cut its clean-up short (exit 9).
      if (stopped) return;
      ask(signal === "SIGINT" ? "SIGINT" : "SIGTERM");
      forceLater();
    } else {
      // A second Ctrl-C means "now".
      force(signal);
    }
  };
  // If canvos itself goes down unexpectedly, it takes the run with it.
  const onExit = (): void => {
    if (pid === undefined || exited) return;
    if (container) {
      try {
        execaSync(container.docker, ["rm", "-f", container.name], { env: toolEnv, extendEnv: false, reject: false, stdio: "ignore", timeout: 10_000 });
      } catch {
        // Nothing more can be done while exiting.
      }
    }
    signalGroup(pid, "SIGKILL");
  };
  const redact = (invocation.redact ?? []).filter((v) => v.length >= 3);
  const secrets = redact.map((value) => Buffer.from(value));
  // A line too long to keep whole is cut, but never inside a secret (line-splitter.ts).
  const guard: CutGuard | undefined = secrets.length === 0 ? undefined : { overlap: Math.max(...secrets.map((v) => v.length)) - 1, mask: (line) => redactBytes(line, secrets) };
  const deliver =
    (name: StreamName) =>
    (lines: Buffer): void | Promise<void> => {
      const masked = secrets.length === 0 ? lines : redactBytes(lines, secrets);
      if (handlers.onOutput) return handlers.onOutput(name, masked);
      const onLine = handlers.onLine;
      if (onLine) eachLine(masked, (line) => onLine(name, line));
    };
  const onStop = (): void => {
    if (pid === undefined || exited || stopped || interruptedBy !== undefined) return;
    stopped = true;
    ask("SIGTERM");
    forceLater();
  };
  const unlisten = watch.listen(onSignal);
  stop?.addEventListener("abort", onStop, { once: true });
  process.on("exit", onExit);

  try {
    const lines = Promise.all([
      readChunks(child.stdout, deliver("stdout"), guard),
      readChunks(child.stderr, deliver("stderr"), guard),
    ]);
    // Earthly's exit is what counts, not the end of its pipes: a process it (or a wrapper script)
    // left behind, outside its group, may hold them open for its whole life. execa settles only
    // when the pipes close, so the exit event decides; execa's result only for a failed spawn.
    const exitEvent = new Promise<number | undefined>((resolve) => child.once("exit", (code) => resolve(code ?? undefined)));
    const first = await Promise.race([child.then((result) => ({ result })), exitEvent.then((code) => ({ code }))]);
    if ("result" in first && first.result.failed && first.result.exitCode === undefined && first.result.signal === undefined) {
      // Spawning itself failed (ENOENT, EACCES).
      exited = true;
      throw invocation.missing ? new EnvironmentError(invocation.missing.message, invocation.missing.hint) : missingBinary(invocation.file);
    }
    const exitCode = "code" in first ? first.code : first.result.exitCode;
    if (interruptedBy !== undefined || stopped) {
      // Asked to stop, the child may go at once (a wrapper script dies of the signal) while Earthly
      // in its group still cleans up: its pipes close when it is done, and the kill timer (or a
      // second Ctrl-C) still ends the group when its clean-up time runs out.
      await Promise.race([lines, whenForced]);
    }
    exited = true;
    // Earthly is gone; whatever is left in its group (a RUN process it did not signal, earthly#1167)
    // is an orphan of this run, after a success too.
    // The group only: Earthly's own pid is reaped and could belong to someone else by now.
    if (pid !== undefined) killGroupOnly(pid);
    if ((interruptedBy !== undefined || stopped) && pid !== undefined) {
      // `docker run --rm` removes a container that stopped; one that was killed may linger.
      if (container) await runTool(container.docker, ["rm", "-f", container.name], { env: toolEnv, timeoutMs: 30_000 });
    }
    // What is still in the pipes comes within a moment; a process that escaped the group and holds
    // them open is not waited for (the streams are closed below).
    await Promise.race([lines, new Promise((resolve) => setTimeout(resolve, PIPE_GRACE_MS).unref())]);
    return { exitCode, interruptedBy, killed };
  } finally {
    exited = true;
    if (killTimer) clearTimeout(killTimer);
    unlisten();
    stop?.removeEventListener("abort", onStop);
    process.off("exit", onExit);
    child.stdout?.destroy();
    child.stderr?.destroy();
  }
}

/**
 * Ends a short child and everything it started when `cancel` fires: SIGTERM to its process group,
 * SIGKILL after a grace period. execa's own cancelSignal kills only the child's pid, which leaves
 * whatever a wrapper script or the docker CLI started running; hence `detached` (own group) + this.
 */
function cancelGroupOnAbort(child: ResultPromise, cancel: AbortSignal | undefined): () => void {
  const pid = child.pid;
  if (cancel === undefined || pid === undefined) return () => undefined;
  let aborted = false;
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    aborted = true;
    signalGroup(pid, "SIGTERM");
    timer = setTimeout(() => signalGroup(pid, "SIGKILL"), 2_000);
  };
  if (cancel.aborted) onAbort();
  else cancel.addEventListener("abort", onAbort, { once: true });
  return () => {
    cancel.removeEventListener("abort", onAbort);
    if (timer) clearTimeout(timer);
    // The leader is gone; whatever of its group ignored SIGTERM goes now.
    if (aborted) signalGroup(pid, "SIGKILL");
  };
}

/** `earthly --version`'s line, or undefined when it cannot be had (or `cancel` fired). */
export async function earthlyVersion(invocation: EarthlyInvocation, cancel?: AbortSignal): Promise<string | undefined> {
  const result = await runTool(invocation.file, invocation.args, { env: invocation.env, cwd: invocation.cwd, timeoutMs: 20_000, cancelSignal: cancel });
  if (result.canceled === true) return undefined;
  if (result.notFound) throw missingBinary(invocation.file);
  if (result.exitCode !== 0) return undefined;
  return result.stdout.split(/\r?\n/).find((l) => l.trim() !== "")?.trim();
}

export interface ToolResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** The program does not exist (ENOENT) or cannot be executed. */
  notFound: boolean;
  timedOut: boolean;
  /** Ended because ToolOptions.cancelSignal fired (a Ctrl-C): its output means nothing. */
  canceled?: boolean;
}

export interface ToolOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string | undefined;
  /** Written to the program's stdin (a credential helper reads the registry host there). */
  input?: string | Uint8Array | undefined;
  timeoutMs?: number | undefined;
  /** Ends the program (and what it started) at once when aborted; the result then has `canceled`. */
  cancelSignal?: AbortSignal | undefined;
}

/**
 * A short helper command whose output canvos reads (docker info, docker-credential-*, docker kill):
 * argument array, bounded output, a timeout, never a throw for a failing program.
 */
export async function runTool(file: string, args: readonly string[], options: ToolOptions): Promise<ToolResult> {
  const { execa } = await loadExeca();
  const child = execa(file, [...args], {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    ...(options.input !== undefined ? { input: options.input } : { stdin: "ignore" as const }),
    reject: false,
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 1024 * 1024,
    stripFinalNewline: true,
    detached: options.cancelSignal !== undefined,
  });
  const release = cancelGroupOnAbort(child, options.cancelSignal);
  const result = await child.finally(release);
  const code = (result as { code?: string }).code;
  return {
    exitCode: result.exitCode,
    stdout: String(result.stdout ?? ""),
    stderr: String(result.stderr ?? ""),
    notFound: result.exitCode === undefined && (code === "ENOENT" || code === "EACCES"),
    timedOut: result.timedOut,
    canceled: options.cancelSignal?.aborted === true,
  };
}

export interface ToolStream {
  /** The program's standard output, to be read as it comes (`docker save`: gigabytes). */
  stdout: Readable;
  /** Settles when the program ends; stdout in it is empty. */
  result: Promise<ToolResult>;
}

/** Like runTool, but its output is streamed, never held: no timeout, `cancelSignal` ends it. */
export async function streamTool(file: string, args: readonly string[], options: Omit<ToolOptions, "input" | "timeoutMs">): Promise<ToolStream> {
  const { execa } = await loadExeca();
  const child = execa(file, [...args], {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    stdin: "ignore",
    reject: false,
    buffer: { stdout: false, stderr: true },
    maxBuffer: 1024 * 1024,
    stripFinalNewline: true,
    detached: options.cancelSignal !== undefined,
  });
  const release = cancelGroupOnAbort(child, options.cancelSignal);
  const result = child.finally(release).then((r) => {
    const code = (r as { code?: string }).code;
    return {
      exitCode: r.exitCode,
      stdout: "",
      stderr: String(r.stderr ?? ""),
      notFound: r.exitCode === undefined && (code === "ENOENT" || code === "EACCES"),
      timedOut: false,
      canceled: options.cancelSignal?.aborted === true,
    };
  });
  if (child.stdout === null) throw new Error("streamTool: the child has no stdout");
  return { stdout: child.stdout, result };
}
