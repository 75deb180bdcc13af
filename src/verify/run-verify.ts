// `canvos verify`: the checks a build runs after Earthly, on artifacts made earlier or elsewhere
// (a CI job that downloaded the ISO), against the current configuration. Returns data; the
// command renders it and turns a failed check into exit 1.
import { existsSync } from "node:fs";
import { relative, resolve } from "node:path";
import { loadWorkspaceConfig } from "../config/earthfile-args.js";
import type { ResolveOptions } from "../config/types.js";
import { isoExpectation } from "./iso-expect.js";
import { checkArtifacts, type ArtifactRecord } from "./verify.js";
import type { ImageCheck } from "../image/check.js";
import type { BootResult } from "../boot/qemu.js";

export interface VerifyRequest {
  request: ResolveOptions;
  /** The ISO to check; default build/$ISO_NAME.iso. */
  iso: string | undefined;
  images: readonly string[];
  /** The images are pushed: look in their registry. */
  registry?: boolean;
  boot?: { timeoutSeconds: number } | undefined;
  signal?: AbortSignal;
}

export interface VerifyReport {
  ok: boolean;
  iso: { path: string; artifacts: ArtifactRecord[]; problems: string[] } | undefined;
  images: ImageCheck[];
  boot?: BootResult | undefined;
}

export async function runVerify(options: VerifyRequest): Promise<VerifyReport> {
  const { request } = options;
  const resolved = await loadWorkspaceConfig(request);
  const config = resolved.config;
  const cwd = request.cwd;
  let iso: VerifyReport["iso"];
  if (options.iso !== undefined || options.images.length === 0) {
    const given = options.iso ?? `build/${config.ISO_NAME}.iso`;
    const absolute = resolve(cwd, given);
    const shown = relative(cwd, absolute).startsWith("..") ? absolute : relative(cwd, absolute);
    // The .sha256 a build writes beside the ISO: required in build/, checked elsewhere when it came along.
    const paths = options.iso === undefined || existsSync(`${absolute}.sha256`) ? [shown, `${shown}.sha256`] : [shown];
    const checked = await checkArtifacts(paths, cwd, options.signal, await isoExpectation(config, cwd));
    iso = { path: shown, artifacts: checked.artifacts, problems: checked.problems };
  }
  let boot: BootResult | undefined;
  if (options.boot !== undefined && iso !== undefined && iso.artifacts.some((a) => a.path === iso?.path)) {
    const { bootIso } = await import("../boot/qemu.js");
    boot = await bootIso(resolve(cwd, iso.path), { arch: config.ARCH, timeoutSeconds: options.boot.timeoutSeconds, env: request.env, signal: options.signal });
    if (!boot.booted) iso.problems.push(`did not boot: no Linux kernel banner on the serial console within ${options.boot.timeoutSeconds} s`);
  }
  const images: ImageCheck[] = [];
  if (options.images.length > 0) {
    const { checkImage } = await import("../image/check.js");
    for (const ref of options.images) images.push(await checkImage(ref, { arch: config.ARCH, distribution: config.OS_DISTRIBUTION, env: request.env, registry: options.registry === true, signal: options.signal }));
  }
  const ok = (iso === undefined || iso.problems.length === 0) && images.every((i) => i.problems.length === 0);
  return { ok, iso, images, ...(boot !== undefined ? { boot } : {}) };
}

export function renderVerify(report: VerifyReport): string {
  const lines: string[] = [];
  if (report.iso !== undefined) {
    const record = report.iso.artifacts.find((a) => a.path === report.iso?.path);
    if (report.iso.problems.length === 0) lines.push(`ok       ${report.iso.path}${record ? `  sha256 ${record.sha256}` : ""}`);
    else {
      lines.push(`failure  ${report.iso.path}`);
      for (const problem of report.iso.problems) lines.push(`           ${problem}`);
    }
  }
  if (report.boot !== undefined) {
    if (report.boot.booted) lines.push(`ok       booted in QEMU (${report.boot.accelerator}, ${report.boot.seconds.toFixed(1)} s): ${report.boot.banner ?? ""}`);
    else {
      lines.push(`failure  booted in QEMU (${report.boot.accelerator}): no Linux kernel banner; last console lines:`);
      for (const line of report.boot.lastLines) lines.push(`           | ${line}`);
    }
  }
  for (const image of report.images) {
    if (image.problems.length === 0) lines.push(`ok       ${image.ref}  (${image.where})`);
    else {
      lines.push(`failure  ${image.ref}  (${image.where})`);
      for (const problem of image.problems) lines.push(`           ${problem}`);
    }
  }
  return lines.join("\n") + "\n";
}
