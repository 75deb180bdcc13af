// End-to-end tests run the built CLI as users do, so the build must match the sources: the same two
// steps as `npm run build` (tsc's dist/, then the bundle bin/canvos.cjs runs), after a type check
// of src/ and test/ alike.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

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

export default function setup(): () => void {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  removeStandInImages(root);
  // The tests themselves are strict TypeScript too: vitest runs them without checking types.
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", "tsconfig.json", "--noEmit"], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, [`${root}scripts/bundle.mjs`], { cwd: root, stdio: "inherit" });
  return () => removeStandInImages(root);
}
