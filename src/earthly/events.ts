// What a build tells its reporter. The core emits these and prints nothing; src/report/ renders.
import type { StreamName } from "./runner.js";

export type BuildEvent =
  | { type: "start"; command: string; target: string; logPath: string; providerImages: number }
  | { type: "warning"; message: string }
  | { type: "phase"; phase: string }
  | { type: "target"; target: string }
  | { type: "image"; ref: string; done: number; total: number }
  | { type: "log"; stream: StreamName; line: string }
  | { type: "stopping"; signal: NodeJS.Signals; timeoutMs: number }
  | { type: "verifying" };

export interface BuildSummary {
  command: string;
  durationMs: number;
  artifacts: readonly { path: string; size: number; sha256: string }[];
  images: readonly { ref: string; pushed: boolean }[];
  logPath: string;
  manifestPath: string;
  registry: string;
}

export interface Reporter {
  event(event: BuildEvent): void;
  /** After success: the summary, on stderr. */
  summary(summary: BuildSummary): void;
  /** Stop any spinner before anything else is printed; safe to call twice. */
  stop(): void;
}
