// The Kubernetes versions matrix, read from k8s_version.json (shared with the Earthfile).
import { readRegularFile, readRegularFileSync, UnreadableFileError } from "../workspace/safe-fs.js";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import type { Problem } from "../errors.js";
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

/** The name the Earthfile COPYs it by (build-provider-images): where a version is added. */
export const MATRIX_FILE_NAME = "k8s_version.json";

/** Its shape, for messages that tell how to add a version. */
export const MATRIX_FORMAT = '{"standard": {"k3s": ["1.27.2", ...], "rke2": [...], "kubeadm": [...]}, "fips": {"rke2": [...], "kubeadm-fips": [...], "other": [...]}}';

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

export interface WorkspaceMatrix {
  matrix: K8sMatrix;
  problems: Problem[];
}

/**
 * The matrix the build itself uses: the workspace's k8s_version.json, which the Earthfile COPYs,
 * so a version the user adds there is one canvos accepts too. Without one, the package's.
 */
export async function loadWorkspaceMatrix(cwd: string): Promise<WorkspaceMatrix> {
  let text: string;
  try {
    text = (await readRegularFile(join(cwd, MATRIX_FILE_NAME), 1024 * 1024)).toString("utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !(error instanceof UnreadableFileError)) return { matrix: loadMatrix(), problems: [] };
    const why = error instanceof UnreadableFileError ? error.message : code === "EACCES" ? "cannot be read (permission denied)" : "cannot be read";
    return { matrix: loadMatrix(), problems: [{ where: MATRIX_FILE_NAME, severity: "error", message: `${why}; the build reads its Kubernetes versions from it` }] };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { matrix: loadMatrix(), problems: [{ where: MATRIX_FILE_NAME, severity: "error", message: `is not JSON (${(error as Error).message}); it must look like ${MATRIX_FORMAT}` }] };
  }
  const parsed = matrixSchema.safeParse(data);
  if (!parsed.success) {
    return { matrix: loadMatrix(), problems: [{ where: MATRIX_FILE_NAME, severity: "error", message: `does not hold a version matrix; it must look like ${MATRIX_FORMAT}` }] };
  }
  return { matrix: parsed.data, problems: [] };
}
