// Prints a doctor report: one line per check, the fix under anything not ok, a one-line verdict.
import { stdoutStyle as style } from "../report/style.js";
import { jsonText, printable } from "../text.js";
import type { CheckStatus, DoctorReport } from "./checks.js";

const LABEL: Readonly<Record<CheckStatus, (s: string) => string>> = {
  ok: style.green,
  warning: style.yellow,
  failure: style.red,
};

export function renderDoctor(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.title.length));
  const lines: string[] = [];
  for (const check of report.checks) {
    lines.push(`  ${LABEL[check.status](check.status.padEnd(7))}  ${check.title.padEnd(width)}  ${printable(check.detail)}`);
    if (check.fix !== undefined && check.status !== "ok") lines.push(`  ${" ".repeat(7)}  ${" ".repeat(width)}  ${style.dim("fix:")} ${printable(check.fix)}`);
  }
  const counts = [`${report.failures} failure${report.failures === 1 ? "" : "s"}`, `${report.warnings} warning${report.warnings === 1 ? "" : "s"}`].join(", ");
  lines.push("");
  lines.push(report.ok ? `Ready to build${report.runner ? ` (runner: ${report.runner})` : ""}: ${counts}.` : `Not ready to build: ${counts}.`);
  return lines.join("\n") + "\n";
}

export function doctorJson(report: DoctorReport): string {
  return jsonText({ ok: report.ok, runner: report.runner ?? null, failures: report.failures, warnings: report.warnings, checks: report.checks });
}
