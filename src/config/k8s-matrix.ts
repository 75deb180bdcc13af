// The Kubernetes versions matrix, read from k8s_version.json (shared with the Earthfile).
import { readRegularFileSync } from "../workspace/safe-fs.js";
import { fileURLToPath } from "node:url";
// A namespace import, not { z }: the bundle (scripts/bundle.mjs) then leaves out what canvos never
// uses of zod, its ~40 locales above all (760 KB of JavaScript to compile at start-up, 170 KB without).
import * as z from "zod";
import type { K8sDistribution } from "./parameters.js";

const matrixSchema = z.object({
  standard: z.record(z.string(), z.array(z.string())),
  fips: z.record(z.string(), z.array(z.string())),
});

export type K8sMatrix = z.infer<typeof matrixSchema>;

/** k8s_version.json ships at the package root, beside dist/. */
export const K8S_MATRIX_FILE = fileURLToPath(new URL("../../k8s_version.json", import.meta.url));

let cached: K8sMatrix | undefined;

export function loadMatrix(file: string = K8S_MATRIX_FILE): K8sMatrix {
  if (file === K8S_MATRIX_FILE && cached) return cached;
  const matrix = matrixSchema.parse(JSON.parse(readRegularFileSync(file, 1024 * 1024).toString("utf8")));
  if (file === K8S_MATRIX_FILE) cached = matrix;
  return matrix;
}

/**
 * The versions buildable for a distribution. FIPS builds use the distribution's own FIPS list, or
 * the `other` list the reference used for any distribution without one.
 */
export function versionsFor(distribution: K8sDistribution, fips: boolean, matrix: K8sMatrix = loadMatrix()): readonly string[] {
  if (fips) return matrix.fips[distribution] ?? matrix.fips["other"] ?? [];
  return matrix.standard[distribution] ?? [];
}
