// What a build tells its reporter. The core emits these and prints nothing; src/report/ renders.
import type { KilledBy, StreamName } from "./runner.js";

export type BuildEvent =
  | { type: "start"; command: string; target: string; logPath: string; providerImages: number }
  | { type: "warning"; message: string }
  | { type: "phase"; phase: string }
  | { type: "target"; target: string }
  | { type: "image"; ref: string; done: number; total: number }
  | { type: "stopping"; signal: NodeJS.Signals; timeoutMs: number }
  /** Earthly did not stop in its clean-up time (`timeout`), or a second signal came: it is killed. */
  | { type: "killing"; by: KilledBy; timeoutMs: number }
  | { type: "verifying" }
  | { type: "booting"; iso: string; timeoutSeconds: number };

export interface BuildSummary {
  command: string;
  durationMs: number;
  artifacts: readonly { path: string; size: number; sha256: string }[];
  images: readonly { ref: string; pushed: boolean; checked?: string | undefined }[];
  logPath: string;
  manifestPath: string;
  registry: string;
}

export interface Reporter {
  event(event: BuildEvent): void;
  /** output() prints the raw bytes (a terminal with --verbose): the caller must leave them intact. */
  readonly rawOutput: boolean;
  /**
   * Earthly's own output, in runs of whole lines: `raw` as Earthly wrote it, `clean` as the log
   * keeps it (cleanLines). Printed only with --verbose; a promise back means "wait, I am behind".
   */
  output(stream: StreamName, raw: Buffer, clean: Buffer): Promise<void> | undefined;
  /** After success: the summary, on stderr. */
  summary(summary: BuildSummary): void;
  /** Stop any spinner before anything else is printed; safe to call twice. */
  stop(): void;
}
