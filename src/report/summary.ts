// The end-of-run summary, shared by both reporters (they differ only in colour).
import type { BuildSummary } from "../earthly/events.js";
import { annotation, annotationsWanted } from "./annotations.js";

export interface Paint {
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export const noPaint: Paint = { green: (s) => s, yellow: (s) => s, dim: (s) => s, bold: (s) => s };

export function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** `0.6 s`, `12 min 3 s`, `1 h 2 min`; `wholeSeconds` for a clock that ticks each second (`5 s`). */
export function formatDuration(ms: number, wholeSeconds = false): string {
  const seconds = ms / 1000;
  if (seconds < 59.95 && !wholeSeconds) return `${seconds.toFixed(1)} s`;
  // Rounded once, so 119.6 s is 2 min 0 s, not 1 min 60 s.
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  const m = Math.floor(total / 60);
  return m < 60 ? `${m} min ${total % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** ttl.sh is anonymous and deletes images after 24 h: fine for a demo, a surprise in production. */
export function isEphemeralRegistry(registry: string): boolean {
  return registry === "ttl.sh" || registry.startsWith("ttl.sh/") || registry.startsWith("ttl.sh:");
}

export function renderSummary(summary: BuildSummary, paint: Paint = noPaint): string {
  const lines = [paint.green(`canvos ${summary.command} succeeded in ${formatDuration(summary.durationMs)}`)];
  if (summary.artifacts.length > 0) {
    lines.push("Artifacts:");
    const width = Math.max(...summary.artifacts.map((a) => a.path.length));
    for (const a of summary.artifacts) lines.push(`  ${a.path.padEnd(width)}  ${formatSize(a.size).padStart(10)}  sha256 ${a.sha256}`);
  }
  if (summary.images.length > 0) {
    lines.push("Images:");
    for (const i of summary.images) lines.push(`  ${i.ref}  ${paint.dim(`(${i.pushed ? "pushed" : "local Docker"}${i.checked === "registry" ? ", checked in the registry" : i.checked !== undefined ? ", checked" : ""})`)}`);
  }
  lines.push(`Log: ${summary.logPath}`, `Manifest: ${summary.manifestPath}`);
  // Only images that went to IMAGE_REGISTRY vanish; the local installer and base images do not.
  const inRegistry = summary.images.some((i) => i.ref.startsWith(`${summary.registry}/`));
  if (inRegistry && isEphemeralRegistry(summary.registry)) {
    const warning = "IMAGE_REGISTRY is ttl.sh, an anonymous registry that deletes images after 24 h; set IMAGE_REGISTRY to keep them";
    lines.push(paint.yellow(`warning: ${warning}`));
    if (annotationsWanted()) lines.push(annotation("warning", warning, { title: "canvos" }));
  }
  return lines.join("\n") + "\n";
}
