// The stand-in must behave as earthly.md says, or the other tests prove nothing.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { workspace } from "../support/cli.js";
import { earthlyHold, FAKE_BIN_DIR, writeArg } from "../support/fake-earthly.js";

const earthly = (args: string[], cwd: string, env: Record<string, string> = {}) =>
  execa(join(FAKE_BIN_DIR, "earthly"), args, { cwd, reject: false, env: { PATH: process.env["PATH"] ?? "", ...env }, extendEnv: false });

describe("stand-in earthly", () => {
  it("takes global flags only before the target", async () => {
    const cwd = workspace();
    const r = await earthly(["+iso", "--push"], cwd);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("no value provided for --push");
    const unknown = await earthly(["--bogus", "+iso"], cwd);
    expect(unknown.exitCode).toBe(1);
  });

  it("prints its version on stdout and logs on stderr", async () => {
    const cwd = workspace();
    expect((await earthly(["--version"], cwd)).stdout).toMatch(/^earthly version v0\.8\.15 \S+ linux\/amd64; /);
    const r = await earthly(["+iso"], cwd);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("                +iso | --> SAVE ARTIFACT /iso/* AS LOCAL ./build/");
    expect(r.stderr).toContain("Artifact +iso/palette-edge-installer.iso output as build/palette-edge-installer.iso");
    expect(r.stderr).toMatch(/=+ 🌍 Earthly Build {2}✅ SUCCESS =+/);
  });

  it("reads ./.arg by itself, and errors on a named arg file that is missing", async () => {
    const cwd = workspace();
    writeArg(cwd, "ISO_NAME=from-dot-arg\n");
    await earthly(["+iso"], cwd);
    expect(existsSync(join(cwd, "build/from-dot-arg.iso"))).toBe(true);
    const missing = await earthly(["--arg-file-path=nope.arg", "+iso"], cwd);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain("Error: open nope.arg");
  });

  it("drops local outputs with --ci", async () => {
    const cwd = workspace();
    await earthly(["--ci", "+iso"], cwd);
    expect(existsSync(join(cwd, "build/palette-edge-installer.iso"))).toBe(false);
  });

  it("exits 2 after SIGINT with its notice on stdout", async () => {
    const cwd = workspace();
    const hold = earthlyHold();
    const run = earthly(["+iso"], cwd, hold.env);
    await hold.reached();
    run.kill("SIGINT");
    const r = await run;
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe("Received signal interrupt. Cleaning up before exiting...\n".trimEnd());
  });
});
