// One colour rule for every line canvos prints (issue 12): NO_COLOR turns it off everywhere, the
// spinner included; FORCE_COLOR turns it on everywhere, also without a terminal; otherwise each
// stream has colour when it is a terminal.
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { canvos, workspace } from "../support/cli.js";
import { pathWithFake, writeArg } from "../support/fake-earthly.js";
import { waitFor } from "../robustness/support.js";
import { onTerminal } from "../support/terminal.js";

const ESC = "\u001b";
/** Select Graphic Rendition: colour, bold, dim. Cursor movement (the spinner's redraw) is not colour. */
const SGR = /\u001b\[[0-9;]*m/;

function setup(arg = ""): string {
  const cwd = workspace("canvos-colour-");
  writeArg(cwd, `CUSTOM_TAG=colour-${randomUUID().slice(0, 8)}\n${arg}`);
  return cwd;
}

/** The environment canvos's tests run in minus the colour variables, plus `env`. */
const colourEnv = (env: Record<string, string>): Record<string, string | undefined> => ({ PATH: pathWithFake(), NO_COLOR: undefined, FORCE_COLOR: undefined, ...env });

describe("FORCE_COLOR without a terminal", () => {
  it("colours every kind of line: progress, the summary, problems, the end of a failure, stdout's tables", async () => {
    const cwd = setup();
    const hold = join(workspace("canvos-colour-hold-"), "go");
    onTestFinished(() => {
      if (existsSync(dirname(hold))) writeFileSync(hold, "");
    });
    const run = canvos(["iso"], { cwd, env: colourEnv({ FORCE_COLOR: "1", FAKE_EARTHLY_HOLD: hold, CANVOS_PROGRESS_INTERVAL: "0.2" }) });
    let stderr = "";
    run.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(() => stderr.includes("running for"), 30_000, "a progress line");
    writeFileSync(hold, "");
    const built = await run;
    expect(built.exitCode, built.stderr).toBe(0);
    const progress = built.stderr.split("\n").filter((line) => line.includes("canvos:"));
    expect(progress.length).toBeGreaterThan(4);
    for (const line of progress) expect(line, JSON.stringify(line)).toMatch(SGR);
    expect(built.stderr).toContain(`${ESC}[32mcanvos iso succeeded in`);

    const failed = await canvos(["iso"], { cwd, env: colourEnv({ FORCE_COLOR: "1", FAKE_EARTHLY_FAIL: "+iso" }) });
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain(`${ESC}[31mcanvos: the build failed in +iso`);

    writeArg(cwd, "ARCH=sparc\n");
    const invalid = await canvos(["validate"], { cwd, env: colourEnv({ FORCE_COLOR: "1" }) });
    expect(invalid.exitCode).toBe(2);
    expect(invalid.stderr).toContain(`.arg:1: ${ESC}[31merror${ESC}[39m: ARCH`);

    const versions = await canvos(["versions"], { cwd, env: colourEnv({ FORCE_COLOR: "1" }) });
    expect(versions.stdout).toContain(`${ESC}[1mStandard builds`);
  }, 90_000);
});

describe("NO_COLOR", () => {
  it("wins over FORCE_COLOR: not one escape in any output", async () => {
    const cwd = setup();
    const env = colourEnv({ NO_COLOR: "1", FORCE_COLOR: "1", CANVOS_PROGRESS_INTERVAL: "0.05", FAKE_EARTHLY_COLOR: "1" });
    const built = await canvos(["iso", "--verbose"], { cwd, env });
    expect(built.exitCode, built.stderr).toBe(0);
    const failed = await canvos(["iso"], { cwd, env: { ...env, FAKE_EARTHLY_FAIL: "+iso" } });
    expect(failed.exitCode).toBe(1);
    const versions = await canvos(["versions"], { cwd, env });
    writeArg(cwd, "ARCH=sparc\n");
    const invalid = await canvos(["validate"], { cwd, env });
    expect(invalid.exitCode).toBe(2);
    for (const r of [built, failed, versions, invalid]) {
      expect(String(r.stdout) + String(r.stderr)).not.toContain(ESC);
    }
  }, 90_000);

  it("on a terminal: no colour, the spinner's glyph and Earthly's --verbose lines included", async () => {
    const cwd = setup();
    const r = await onTerminal(cwd, ["iso", "--verbose"], { NO_COLOR: "1", FAKE_EARTHLY_COLOR: "1", FAKE_EARTHLY_SLEEP: "300" });
    expect(r.exitCode, String(r.stdout)).toBe(0);
    const out = String(r.stdout);
    // It did draw a spinner (cursor hidden, lines redrawn) and printed Earthly's lines.
    expect(out).toContain(`${ESC}[?25l`);
    expect(out).toContain("+base-image | --> RUN apt-get update");
    expect(out).not.toMatch(SGR);
  }, 60_000);
});

describe("neither variable", () => {
  it("a terminal gets colour, the spinner's glyph too; stdout sent to a file stays plain", async () => {
    const cwd = setup();
    const r = await onTerminal(cwd, ["iso"], { FAKE_EARTHLY_SLEEP: "300" });
    expect(r.exitCode, String(r.stdout)).toBe(0);
    // The spinner's first frame, painted cyan by canvos's chalk (ora's own colouring is off).
    expect(String(r.stdout)).toMatch(/\u001b\[36m[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]\u001b\[39m/);
    expect(String(r.stdout)).toContain(`${ESC}[32mcanvos iso succeeded in`);

    const file = join(workspace("canvos-colour-out-"), "versions.txt");
    const versions = await onTerminal(cwd, ["versions"], {}, file);
    expect(versions.exitCode).toBe(0);
    const text = readFileSync(file, "utf8");
    expect(text).toContain("Standard builds");
    expect(text).not.toContain(ESC);
  }, 60_000);
});
