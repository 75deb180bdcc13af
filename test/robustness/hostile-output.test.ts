// Output that lied or was forged (issue 14): values with newlines and escape sequences in canvos's
// lines and GitHub workflow commands, files written through links planted in build/ and .canvos/,
// and a cluster definition that is not a gzip archive.
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fillArgTemplate } from "../../src/config/init.js";
import { expandValue, parseArgText } from "../../src/config/arg-file.js";
import { printable, quote } from "../../src/text.js";
import { logPathFor } from "../../src/workspace/log-file.js";
import { argWorkspace, canvos, workspace } from "../support/cli.js";
import { pathWithFake, writeArg } from "../support/fake-earthly.js";
import { frozenClock } from "../support/clock.js";

const env = (extra: Record<string, string> = {}): Record<string, string> => ({ PATH: pathWithFake(), ...extra });

/** C0/C1 controls other than line breaks and tabs, DEL, and the bidi and line-separator characters. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Escapes for an arg file's double quotes: the bytes a hostile value would carry. */
const controlChar = fc.constantFrom("\n", "\r", "\u001b[2J", "\u001b]0;title\u0007", "\u009b31m", "\u2028", "\u202e", "\u0000", "\b", "\u0085");

describe("values with newlines and escape sequences forge nothing", () => {
  const FORGED = "canvos build-all succeeded in 1.0 s";

  it("NO_PROXY, CLUSTERCONFIG and CUSTOM_TAG holding line breaks, escapes and workflow commands, in every command that shows them", async () => {
    const cwd = argWorkspace();
    writeArg(
      cwd,
      [
        `NO_PROXY="localhost\\n${FORGED}\\n::error file=Earthfile,line=1::forged"`,
        `CLUSTERCONFIG="spc\\n::warning::forged\\r\\n${FORGED}.tgz"`,
        `CUSTOM_TAG="demo\\n${FORGED}"`,
      ].join("\n") + "\n",
    );
    for (const args of [["validate"], ["iso", "--dry-run"], ["iso"], ["matrix"], ["build-all", "--dry-run"]]) {
      const r = await canvos(args, { cwd, env: env({ GITHUB_ACTIONS: "true", GITHUB_WORKSPACE: cwd }) });
      const lines = `${String(r.stdout)}\n${String(r.stderr)}`.split("\n");
      expect(lines.filter((l) => l.startsWith(FORGED)), args.join(" ")).toEqual([]);
      expect(lines.filter((l) => l.includes("::") && l.includes("forged") && l.startsWith("::") && !/^::(error|warning)[^:]*::.*%0A/.test(l)), args.join(" ")).toEqual([]);
      expect(lines.filter((l) => l.startsWith("::error file=Earthfile")), args.join(" ")).toEqual([]);
    }
  });

  it("control characters in any value reach no output line raw (fuzzed)", async () => {
    const cwd = argWorkspace();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("NO_PROXY", "CLUSTERCONFIG", "CUSTOM_TAG", "ARCH", "IMAGE_REGISTRY", "HTTP_PROXY", "BASE_IMAGE"),
        fc.array(fc.oneof(controlChar, fc.string({ maxLength: 6 })), { minLength: 1, maxLength: 6 }),
        fc.constantFrom(["validate"], ["validate", "--json"], ["iso", "--dry-run"]),
        async (key, parts, args) => {
          const value = parts.join("");
          // Double-quoted with escapes, as godotenv reads them: the raw bytes arrive in the value.
          const written = value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\$/g, "\\$");
          writeFileSync(join(cwd, ".arg"), `${key}="${written}"\n`);
          const r = await canvos(args, { cwd, env: env({ GITHUB_ACTIONS: "true" }) });
          expect([0, 2]).toContain(r.exitCode);
          const out = `${String(r.stdout)}\n${String(r.stderr)}`;
          expect(RAW_CONTROL.test(out), `${key}=${JSON.stringify(value)} ${args.join(" ")}:\n${JSON.stringify(out.slice(0, 2000))}`).toBe(false);
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);

  it("printable and quote leave no control character and bound what they show", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (s) => {
        expect(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(printable(s))).toBe(false);
        const q = quote(s);
        expect(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(q)).toBe(false);
        expect(q.length).toBeLessThan(80 * 6 + 40);
      }),
    );
  });
});

describe("files canvos creates are never written through a link", () => {
  it("a manifest temp file, log names for the next seconds and the run's .canvos/ files, all planted as links, stay untouched", async () => {
    const cwd = argWorkspace();
    const outside = workspace("canvos-outside-");
    mkdirSync(join(cwd, "build", "logs"), { recursive: true });
    mkdirSync(join(cwd, ".canvos"), { recursive: true });
    const planted: string[] = [];
    const plant = (relative: string): void => {
      const target = join(outside, relative.replace(/\//g, "_"));
      symlinkSync(target, join(cwd, relative));
      planted.push(target);
    };
    plant("build/canvos-manifest.iso.json.tmp");
    plant(".canvos/build.arg");
    plant(".canvos/build.secret");
    plant(".canvos/build.env");
    // The log name is the start time: with the clock stopped, the names it tries first are planted.
    const at = "2026-05-06 07:08:09";
    for (let attempt = 1; attempt <= 3; attempt++) plant(logPathFor("iso", new Date(`${at.replace(" ", "T")}Z`), attempt));
    const r = await canvos(["iso"], { cwd, env: env({ ...frozenClock(at), HTTP_PROXY: "http://bob:pw0rdX@proxy:3128", FAKE_DOCKER_LOG: join(outside, "docker.jsonl") }) });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    for (const target of planted) expect(existsSync(target), target).toBe(false);
    const manifest = JSON.parse(readFileSync(join(cwd, "build", "canvos-manifest.iso.json"), "utf8")) as { log: string };
    // The log went to a fresh file beside the planted names, and the summary names it.
    expect(manifest.log).toBe(logPathFor("iso", new Date(`${at.replace(" ", "T")}Z`), 4));
    expect(lstatSync(join(cwd, manifest.log)).isSymbolicLink()).toBe(false);
    expect(String(r.stderr)).toContain(`Log: ${manifest.log}`);
  });
});

describe("a CLUSTERCONFIG that is not a gzip archive", () => {
  it("is an error in validate and stops a build before anything is staged", async () => {
    const cwd = argWorkspace();
    const outside = workspace("canvos-outside-");
    writeFileSync(join(outside, "spc.tgz"), "this is not gzip\n");
    writeArg(cwd, `CUSTOM_TAG=demo\nCLUSTERCONFIG=${join(outside, "spc.tgz")}\n`);
    const v = await canvos(["validate"], { cwd, env: env() });
    expect(v.exitCode).toBe(2);
    expect(String(v.stderr)).toContain(".arg:2: error: CLUSTERCONFIG:");
    expect(String(v.stderr)).toContain("is not a gzip archive");
    const r = await canvos(["iso"], { cwd, env: env() });
    expect(r.exitCode).toBe(2);
    expect(existsSync(join(cwd, ".canvos-stage"))).toBe(false);
    // A real one is fine.
    writeFileSync(join(outside, "spc.tgz"), Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]));
    expect((await canvos(["validate"], { cwd, env: env() })).exitCode).toBe(0);
  });
});

describe("canvos init keeps every character of a value", () => {
  it("round-trips through godotenv quoting: ' \" $ \\ # and line breaks included", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }).filter((s) => !s.includes("\0")), (value) => {
        const text = fillArgTemplate("# template\n", new Map([["NO_PROXY", value]]));
        const parsed = parseArgText(text, ".arg");
        expect(parsed.problems).toEqual([]);
        const entry = parsed.entries.find((e) => e.key === "NO_PROXY");
        const got = entry?.expand ? expandValue(entry.raw, () => undefined).value : entry?.raw;
        expect(got).toBe(value.trim() === value || /[^A-Za-z0-9_./:@,+-]/.test(value) ? value : value.trim());
      }),
      { numRuns: 500 },
    );
  });

  it("writes a value with ' that validate reads back exactly", async () => {
    const cwd = workspace();
    const r = await canvos(["init", "--NO_PROXY=it's,o'brien.example"], { cwd, env: env() });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const v = await canvos(["validate", "--json"], { cwd, env: env() });
    const got = (JSON.parse(String(v.stdout)) as { parameters: { name: string; value: string }[] }).parameters.find((p) => p.name === "NO_PROXY");
    expect(got?.value).toBe("it's,o'brien.example");
  });
});
