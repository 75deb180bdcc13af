// The few error classes canvos throws. Only src/cli/main.ts turns them into exit codes.

export interface Problem {
  /** Where it was found: `.arg:7`, `--ARCH`, `user-data:3`, or a parameter name. */
  where: string;
  message: string;
  severity: "error" | "warning";
}

abstract class CanvosError extends Error {
  abstract readonly exitCode: number;
  /** The simplest fix, printed under the message. */
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
  }
}

/** The user's input is wrong (configuration, flags, files it names). Nothing ran. Exit 2. */
export class ConfigError extends CanvosError {
  // Named here, not from the class: the bundle does not keep function names (scripts/bundle.mjs).
  override readonly name = "ConfigError";
  readonly exitCode = 2;
  readonly problems: readonly Problem[];
  constructor(message: string, problems: readonly Problem[] = [], hint?: string) {
    super(message, hint);
    this.problems = problems;
  }
}

/** A place in a file, 1-based. */
export interface SourceLocation {
  file: string;
  line: number;
  column?: number | undefined;
}

/** `.arg:7`, `user-data:3` → a file and line; flags (`--ARCH`) and parameter names are none. */
export function locationOf(where: string): SourceLocation | undefined {
  const m = /^([^-\s][^:]*):(\d+)(?::(\d+))?$/.exec(where);
  if (!m) return undefined;
  return { file: m[1] ?? "", line: Number(m[2]), column: m[3] !== undefined ? Number(m[3]) : undefined };
}

/** The build ran and failed, or what it made is missing or wrong. Exit 1. */
export class BuildError extends CanvosError {
  override readonly name = "BuildError";
  readonly exitCode = 1;
  /** Extra lines (failing target, command, last log lines, log path) for the summary. */
  readonly details: readonly string[];
  /** Where the build failed (the Earthfile's line), when Earthly said. */
  readonly location: SourceLocation | undefined;
  constructor(message: string, details: readonly string[] = [], hint?: string, location?: SourceLocation) {
    super(message, hint);
    this.details = details;
    this.location = location;
  }
}

/** Something outside the configuration is missing or busy: Earthly, Docker, the workspace lock. Exit 3. */
export class EnvironmentError extends CanvosError {
  override readonly name = "EnvironmentError";
  readonly exitCode = 3;
}

/** The run was stopped by a signal. Exit 128 + signal number (130 for SIGINT, 143 for SIGTERM). */
export class InterruptedError extends CanvosError {
  override readonly name = "InterruptedError";
  readonly exitCode: number;
  readonly signal: NodeJS.Signals;
  /** How the run ended, after the signal's name: `after 3 min 2 s; Earthly ... was killed`. */
  readonly detail: string | undefined;
  constructor(signal: NodeJS.Signals, detail?: string) {
    super(`interrupted by ${signal}${detail !== undefined ? ` ${detail}` : ""}`);
    this.signal = signal;
    this.detail = detail;
    this.exitCode = signal === "SIGTERM" ? 143 : signal === "SIGHUP" ? 129 : 130;
  }
}

export function isCanvosError(error: unknown): error is ConfigError | BuildError | EnvironmentError | InterruptedError {
  return error instanceof CanvosError;
}
