// canvos's own version, from package.json: the one place both `--version` and the manifest read it.
// The path is the same from tsc's dist/config/ and from dist/bundle/, both two levels below the
// package root.
import { readFileSync } from "node:fs";

let cached: string | undefined;

export function canvosVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  return cached;
}
