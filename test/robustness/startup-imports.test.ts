// `canvos --help` and `--version` must stay fast (bench/RESULTS.md, start-up): the modules they load
// statically may reach commander and nothing heavier. Work a command needs is imported inside its
// action. Checked on the built dist/ (what users run), by following static imports only: a dynamic
// import() is the lazy path this test asks for.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../support/cli.js";

const STATIC_IMPORT = /^\s*(?:import|export)\s+(?:[^'"]*?\s+from\s+)?["']([^"']+)["'];?\s*$/gm;

function staticGraph(entry: string): { files: string[]; packages: Set<string> } {
  const files: string[] = [];
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    files.push(file);
    for (const match of readFileSync(file, "utf8").matchAll(STATIC_IMPORT)) {
      const specifier = match[1] ?? "";
      if (specifier.startsWith(".")) visit(resolve(dirname(file), specifier));
      else if (!specifier.startsWith("node:")) packages.add(specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : (specifier.split("/")[0] ?? specifier));
    }
  };
  visit(entry);
  return { files, packages };
}

describe("start-up loads only what --help and --version need", () => {
  it("the entry point's static imports reach commander and no other package", () => {
    const { files, packages } = staticGraph(join(ROOT, "dist", "cli", "main.js"));
    expect(files.length).toBeGreaterThan(3);
    expect([...packages].sort()).toEqual(["commander"]);
  });

  it("the error renderer (chalk) is not on the start-up path", () => {
    const { files } = staticGraph(join(ROOT, "dist", "cli", "main.js"));
    const relative = files.map((f) => f.slice(ROOT.length));
    expect(relative).not.toContain("dist/cli/handle-error.js");
    expect(relative).not.toContain("dist/report/style.js");
  });
});
