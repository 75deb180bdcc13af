import type { K8sMatrix } from "../config/k8s-matrix.js";
import { stdoutStyle as style } from "./style.js";

export function renderMatrix(matrix: K8sMatrix): string {
  const rows: Array<[string, string, readonly string[]]> = [
    ...Object.entries(matrix.standard).map(([d, v]) => ["standard", d, v] as [string, string, readonly string[]]),
    ...Object.entries(matrix.fips).map(([d, v]) => ["FIPS", d === "other" ? "other (FIPS_ENABLED=true, any other distribution)" : d, v] as [string, string, readonly string[]]),
  ];
  const lines: string[] = [];
  let mode = "";
  for (const [m, distribution, versions] of rows) {
    if (m !== mode) {
      lines.push(style.bold(m === "FIPS" ? "FIPS builds (FIPS_ENABLED=true)" : "Standard builds"));
      mode = m;
    }
    lines.push(`  ${distribution}`);
    lines.push(`    ${versions.join("  ")}`);
  }
  return lines.join("\n") + "\n";
}
