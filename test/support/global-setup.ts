// End-to-end tests run the built CLI as users do, so the build must match the sources: the same two
// steps as `npm run build` (tsc's dist/, then the bundle bin/canvos.cjs runs), after a type check
// of src/ and test/ alike. Each run gets a temporary folder of its own (TMPDIR) and a run id for
// the images it makes; what is left of either at the end is named and fails the run (temp.ts).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ISO_TOOLS } from "./make-iso.mjs";
import { dockerAvailable, missingTools } from "./services.js";
import { TEST_IMAGE_LABEL } from "./temp.js";
import { processAlive } from "../../src/workspace/lock.js";

const RUN_PREFIX = "canvos-test-run-";

/**
 * The images the stand-in Earthly loaded (test/bin/earthly lists them): removed, each by its tag
 * where the tag is still this image's, else by its id, so an image another run tagged since stays.
 */
function removeStandInImages(root: string): void {
  const log = `${root}build/stand-in-images.log`;
  if (!existsSync(log)) return;
  for (const line of new Set(readFileSync(log, "utf8").split("\n").filter(Boolean))) {
    const [id, ref] = line.split(" ");
    if (id === undefined || id === "" || ref === undefined) continue;
    const now = spawnSync("docker", ["image", "inspect", "--format", "{{.Id}}", ref], { encoding: "utf8" });
    spawnSync("docker", ["rmi", now.stdout.trim() === id ? ref : id], { stdio: "ignore" });
  }
  rmSync(log, { force: true });
}

/** Folders of earlier runs that never reached their teardown (interrupted): their vitest is gone. */
function sweepDeadRuns(base: string): void {
  for (const entry of readdirSync(base)) {
    const pid = Number(/^canvos-test-run-(\d+)-/.exec(entry)?.[1]);
    if (pid > 0 && !processAlive(pid)) rmSync(join(base, entry), { recursive: true, force: true });
  }
}

/** This run's images (by label, or by a canvos-test/ tag naming the run), each as "ref (id)"; removed. */
function removeRunImages(run: string): string[] {
  const listed = spawnSync("docker", ["images", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"], { encoding: "utf8" });
  if (listed.status !== 0) return [];
  const labelled = spawnSync("docker", ["images", "--no-trunc", "--quiet", "--filter", `label=${TEST_IMAGE_LABEL}=${run}`], { encoding: "utf8" });
  const ids = new Set(labelled.stdout.split("\n").filter(Boolean));
  const left = listed.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split(" ") as [string, string])
    .filter(([id, ref]) => ids.has(id) || (ref.startsWith("canvos-test/") && ref.includes(run)));
  for (const [id, ref] of left) spawnSync("docker", ["rmi", "--force", ref.endsWith(":<none>") ? id : ref], { stdio: "ignore" });
  return left.map(([id, ref]) => `${ref} (${id.slice(7, 19)})`);
}

/**
 * What the stand-in Earthly (test/bin/earthly) needs: it makes real ISOs and loads real images,
 * for most end-to-end tests. Said once, up front, rather than as a hundred failures; in CI a
 * missing one stops the run, as services.ts's checks fail there.
 */
function checkStandInNeeds(): void {
  const tools = missingTools(Object.keys(ISO_TOOLS));
  const missing = [
    ...(tools.length > 0 ? [`${tools.join(", ")} (apt-get install ${[...new Set(tools.map((t) => ISO_TOOLS[t]))].join(" ")})`] : []),
    ...(dockerAvailable() ? [] : ["a running Docker daemon (install docker.io, start dockerd)"]),
  ];
  if (missing.length === 0) return;
  const message = `the stand-in Earthly needs ${missing.join(" and ")}: the tests that build with it fail without (.ci/run installs everything)`;
  if (process.env["CI"]) throw new Error(message);
  process.stderr.write(`\nwarning: ${message}\n\n`);
}

export default function setup(): () => void {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  removeStandInImages(root);
  // The tests themselves are strict TypeScript too: vitest runs them without checking types.
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", "tsconfig.json", "--noEmit"], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, [`${root}scripts/bundle.mjs`], { cwd: root, stdio: "inherit" });

  checkStandInNeeds();
  const base = tmpdir();
  sweepDeadRuns(base);
  const dir = mkdtempSync(join(base, `${RUN_PREFIX}${process.pid}-`));
  const run = basename(dir).slice(RUN_PREFIX.length);
  // Set before the test workers start: they, and every process they run, inherit both.
  process.env["TMPDIR"] = dir;
  process.env["CANVOS_TEST_RUN"] = run;
  return () => {
    removeStandInImages(root);
    const files = readdirSync(dir);
    const images = removeRunImages(run);
    rmSync(dir, { recursive: true, force: true });
    const problems = [
      ...(files.length > 0 ? [`temporary files left in ${dir} (removed now): ${files.join(", ")}`] : []),
      ...(images.length > 0 ? [`images left in the local Docker (removed now): ${images.join(", ")}`] : []),
    ];
    if (problems.length === 0) return;
    // Said and failed here: vitest reports an error thrown by a teardown but still exits 0.
    process.stderr.write(`\nThe tests left things behind; each test removes what it makes (onTestFinished, afterAll):\n  ${problems.join("\n  ")}\n`);
    process.exitCode = 1;
  };
}
