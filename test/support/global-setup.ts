// End-to-end tests run the built CLI as users do, so the build must match the sources: the same two
// steps as `npm run build` (tsc's dist/, then the bundle bin/canvos.cjs runs), after a type check
// of src/ and test/ alike.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  // The tests themselves are strict TypeScript too: vitest runs them without checking types.
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", "tsconfig.json", "--noEmit"], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, [`${root}scripts/bundle.mjs`], { cwd: root, stdio: "inherit" });
}
