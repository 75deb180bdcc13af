// Property tests: whatever arg file or command line a user (or a broken editor) produces, canvos
// answers with a valid configuration or a ConfigError (exit 2) — never another error (exit 70),
// never a hang.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { validateWorkspace } from "../../src/config/validate.js";
import { PARAMETER_NAMES } from "../../src/config/parameters.js";
import { addConfigOptions, configRequest } from "../../src/cli/config-options.js";
import { canvos, ROOT } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "canvos-fuzz-"));
// The Earthfile makes it a workspace, for the real CLI's part.
copyFileSync(join(ROOT, "Earthfile"), join(dir, "Earthfile"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Per input: generous for a slow CI machine, far below anything a user would call a hang. */
const BOUND_MS = 2_000;

async function outcome(request: Parameters<typeof validateWorkspace>[0]): Promise<"valid" | "invalid"> {
  const started = performance.now();
  try {
    const { validation } = await validateWorkspace(request);
    return validation.valid ? "valid" : "invalid";
  } catch (error) {
    // validateWorkspace turns configuration problems into data; anything thrown is a bug.
    if (error instanceof ConfigError) return "invalid";
    throw error;
  } finally {
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
  }
}

const key = fc.oneof(
  fc.constantFrom(...PARAMETER_NAMES),
  fc.constantFrom("platform", "arch", "IMAGE_REPOSITORY", "export", "1BAD", "A.B", ""),
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/),
);
const value = fc.oneof(
  fc.constantFrom("", "ubuntu", "true", "false", "amd64", "arm64", "k3s", "1.27.2", "$OS_DISTRIBUTION", "${ARCH}", "$A$A$A", "${", "$", "\\", "#", "a # b"),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
);
const quoted = fc.tuple(fc.constantFrom('"', "'", "", '"', "'"), value, fc.constantFrom('"', "'", "", " # c", "\\")).map(([o, v, c]) => `${o}${v}${c}`);
const line = fc.oneof(
  fc.tuple(fc.constantFrom("", "export ", "  ", "\t"), key, fc.constantFrom("=", " = ", ": ", "=="), quoted).map(([p, k, eq, v]) => `${p}${k}${eq}${v}`),
  fc.constantFrom("# comment", "", "   ", "\uFEFFARCH=amd64", "=value", "KEY", "\u0000", "ARCH=\u0000"),
  fc.string({ maxLength: 60 }),
);
const argFileText = fc.tuple(fc.array(line, { maxLength: 25 }), fc.constantFrom("\n", "\r\n", "\r")).map(([lines, eol]) => lines.join(eol));

/** A chain A0=$A1, A1=$A2 ... and self-references: must stay linear, never recurse. */
const chains = fc.integer({ min: 1, max: 2000 }).map((n) => {
  const lines = [`CUSTOM_TAG=$CUSTOM_TAG$CUSTOM_TAG`];
  for (let i = 0; i < n; i++) lines.push(`V${i}=$V${i + 1}\${V${i}}x`);
  lines.push(`IMAGE_REPO=$V0`);
  return lines.join("\n");
});

describe("fuzzing the configuration", () => {
  it("any generated arg file ends valid or invalid, within the bound", async () => {
    await fc.assert(
      fc.asyncProperty(argFileText, async (text) => {
        writeFileSync(join(dir, "gen.arg"), text);
        await outcome({ cwd: dir, argFile: "gen.arg", overrides: [], env: {} });
      }),
      { numRuns: 1500 },
    );
  }, 120_000);

  it("random bytes, huge lines and mutated valid files end valid or invalid", async () => {
    const valid = "OS_DISTRIBUTION=ubuntu\nIMAGE_REPO=$OS_DISTRIBUTION\nARCH=amd64\nCUSTOM_TAG=demo\n";
    const mutated = fc.tuple(fc.integer({ min: 0, max: valid.length }), fc.uint8Array({ maxLength: 16 })).map(([at, bytes]) => Buffer.concat([Buffer.from(valid.slice(0, at)), Buffer.from(bytes), Buffer.from(valid.slice(at))]));
    const inputs = fc.oneof(
      fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
      mutated,
      fc.integer({ min: 1, max: 200_000 }).map((n) => Buffer.from(`CUSTOM_TAG=${"x".repeat(n)}\n`)),
      chains.map((t) => Buffer.from(t)),
    );
    await fc.assert(
      fc.asyncProperty(inputs, async (bytes) => {
        writeFileSync(join(dir, "bytes.arg"), bytes);
        await outcome({ cwd: dir, argFile: "bytes.arg", overrides: [], env: {} });
      }),
      { numRuns: 400 },
    );
  }, 120_000);

  it("any flag combination ends valid, invalid, or a usage error", async () => {
    const flag = fc.oneof(
      fc.tuple(fc.constantFrom(...PARAMETER_NAMES, "NOT_A_KEY", "arch"), value).map(([k, v]) => [`--${k}=${v}`]),
      fc.tuple(fc.constantFrom(...PARAMETER_NAMES), value).map(([k, v]) => [`--${k}`, v]),
      fc.tuple(fc.constantFrom("--arch", "--os", "--tag", "--registry", "--repo", "--k8s-distribution", "--iso-name", "--base-image", "--pe-version", "--arg-file"), value).map(([f, v]) => [f, v]),
      fc.constantFrom(["--fips"], ["--archh", "x"], ["+iso"], ["stray"], ["--"], ["-x"], ["--ARCH"]),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(flag, { maxLength: 8 }), async (groups) => {
        const argv = groups.flat();
        const cmd = addConfigOptions(new Command("fuzz")).exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
        let request: ReturnType<typeof configRequest> | undefined;
        cmd.action((_o: unknown, c: Command) => {
          request = configRequest(c, dir, {});
        });
        try {
          await cmd.parseAsync(argv, { from: "user" });
        } catch (error) {
          if (error instanceof CommanderError) return; // exit 2 in main
          throw error;
        }
        if (request) await outcome({ ...request, argFile: request.argFile === undefined ? "none.arg" : request.argFile });
      }),
      { numRuns: 800 },
    );
  }, 120_000);

  it("the real CLI never prints a stack trace or exits other than 0 or 2 on generated files", async () => {
    const samples = fc.sample(argFileText, { numRuns: 12, seed: 42 });
    samples.push("\u0000\u0001\u0002", "A".repeat(2 * 1024 * 1024), 'ARCH="unterminated\nX=1');
    for (const text of samples) {
      writeFileSync(join(dir, "cli.arg"), text);
      const r = await canvos(["validate", "--arg-file", "cli.arg"], { cwd: dir });
      expect([0, 2], r.stderr).toContain(r.exitCode);
      expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
      expect(r.stderr).not.toContain("internal error");
    }
  }, 120_000);
});
