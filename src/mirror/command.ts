// What `canvos mirror` does between its flags and its output: progress and the summary on stderr,
// the `.arg` lines (or --json) on stdout.
import type { Command } from "commander";
import type { ResolveOptions } from "../config/types.js";
import { loadPulledSet } from "../plan/pulled-run.js";
import type { PulledImage } from "../plan/pulled-images.js";
import { formatProblem } from "../cli/handle-error.js";
import { jsonText, printable } from "../text.js";
import { missingError, parseEndpoint, runMirror, type MirrorOutcome } from "./run.js";
import type { CopyResult } from "./copy.js";
import { InterruptedError } from "../errors.js";
import { SignalWatch } from "../earthly/runner.js";

export function sizeText(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit] ?? ""}`;
}

function resultLine(result: CopyResult, layout: boolean): string {
  const where = result.job.destination.reference === "" ? result.job.destination.repository : `${result.job.destination.repository}:${result.job.destination.reference}`;
  const platforms = result.platforms !== undefined ? ` [${result.platforms.join(", ")}]` : "";
  if (result.status === "missing") return `mirror: ${printable(result.job.label)}: missing at the source`;
  if (result.status === "present") return `mirror: ${printable(result.job.label)}${platforms}: already at ${printable(where)}`;
  return `mirror: ${printable(result.job.label)}${platforms} -> ${printable(where)} (${sizeText(result.uploadedBytes)} ${layout ? "written" : "uploaded"})`;
}

export function summaryLine(outcome: MirrorOutcome): string {
  const count = (status: CopyResult["status"]): number => outcome.results.filter((r) => r.status === status).length;
  const s = outcome.stats;
  return (
    `mirror: ${outcome.results.length + outcome.failures.length} images: ${count("copied")} copied, ${count("present")} already there, ${outcome.missing.length} missing, ${outcome.failures.length} failed; ` +
    `${s.uploadedBlobs} blobs uploaded (${sizeText(s.uploadedBytes)}, ${s.uploadedBytes} bytes), ${s.presentBlobs} already there, ${s.mountedBlobs} mounted; ${outcome.seconds.toFixed(1)} s`
  );
}

export async function mirrorCommandRun(self: Command, request: ResolveOptions): Promise<void> {
  const opts = self.opts<{ to: string; from?: string; allPlatforms?: boolean; json?: boolean }>();
  const to = parseEndpoint("--to", opts.to, request.cwd);
  const from = opts.from === undefined ? undefined : parseEndpoint("--from", opts.from, request.cwd);
  let images: PulledImage[] | undefined;
  if (from === undefined) {
    const set = await loadPulledSet(request, self.opts());
    for (const warning of set.warnings) process.stderr.write(formatProblem(warning) + "\n");
    images = set.images;
  }
  // Ctrl-C ends every request at once; the copies then end with their partial files removed, and
  // the run ends as interrupted (130/143), not cut off mid-write by Node's default handler.
  const watch = new SignalWatch();
  let outcome: MirrorOutcome;
  try {
    outcome = await runMirror({
      from,
      to,
      ...(images !== undefined ? { images } : {}),
      allPlatforms: opts.allPlatforms === true,
      env: request.env,
      signal: watch.cancelSignal,
      onWarning: (message) => process.stderr.write(`mirror: warning: ${printable(message)}\n`),
      events: {
        onResult: (result) => process.stderr.write(resultLine(result, to.kind === "oci") + "\n"),
        // After a Ctrl-C every copy fails with the cancel: one line says so, not one per image.
        onFailure: (label, error) => {
          if (watch.received === undefined) process.stderr.write(`mirror: ${printable(label)}: ${printable(error instanceof Error ? error.message : String(error))}\n`);
        },
      },
    });
  } finally {
    watch.dispose();
  }
  process.stderr.write(summaryLine(outcome) + "\n");
  if (watch.received !== undefined) throw new InterruptedError(watch.received, `after ${outcome.seconds.toFixed(1)} s; what was copied stays, and a second run goes on from there`);
  if (opts.json) {
    process.stdout.write(
      jsonText({
        images: outcome.results.map((r) => ({ source: r.job.label, destination: `${r.job.destination.repository}${r.job.destination.reference === "" ? "" : `:${r.job.destination.reference}`}`, status: r.status, digest: r.digest, platforms: r.platforms, uploadedBytes: r.uploadedBytes })),
        missing: outcome.missing,
        ...outcome.stats,
        args: outcome.argLines,
      }),
    );
  } else if (outcome.argLines.length > 0) {
    process.stdout.write(`# .arg lines for a build from ${to.kind === "registry" ? to.prefix : "the mirror"}:\n${outcome.argLines.join("\n")}\n`);
  } else if (to.kind === "oci") {
    process.stderr.write(`mirror: carry ${to.dir} to the site, then: canvos mirror --from oci:${to.dir} --to REGISTRY/PREFIX\n`);
  }
  const failure = outcome.failures[0];
  if (failure !== undefined) throw failure;
  if (outcome.missing.length > 0) throw missingError(outcome.missing, from?.kind === "oci" ? `oci:${from.dir}` : "the source");
}
