// Secrets that showed (issue 14): proxy URLs that validated without being recognised as sensitive,
// `--secret NAME=value`, an arg file that is a credentials file, a secret split by a colour code,
// values expanded from secret-named variables, and Earthly's own `.secret`/`.env` read behind
// canvos's back. Each case runs the built canvos and scans every channel for the value.
import { copyFileSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadConfig, maskValue } from "../../src/config/resolve.js";
import { parseProxyUrl } from "../../src/config/proxy-url.js";
import { argFileText, earthlyArgs } from "../../src/earthly/args.js";
import { cleanLines, redactBytes } from "../../src/earthly/clean-bytes.js";
import { ConfigError } from "../../src/errors.js";
import { argWorkspace, canvos, ROOT, workspace } from "../support/cli.js";
import { pathWithFake, readRecord, writeArg } from "../support/fake-earthly.js";
import { wrapStandIn } from "./support.js";

const env = (extra: Record<string, string> = {}): Record<string, string> => ({ PATH: pathWithFake(), ...extra });

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith(".iso") ? [] : [path];
  });
}

/** Everything a run left readable: its stdout and stderr, and every file under build/ and .canvos/. */
function everything(cwd: string, r: { stdout: unknown; stderr: unknown }): string {
  const files = [...filesUnder(join(cwd, "build")), ...filesUnder(join(cwd, ".canvos"))].map((f) => readFileSync(f, "utf8"));
  return [String(r.stdout), String(r.stderr), ...files].join("\n");
}

describe("proxy URLs: one reader decides valid and secret", () => {
  // Shapes the WHATWG parser accepts but a `scheme://` pattern does not see, and passwords with
  // the characters that cut masking short before.
  // Prefixed, so a password is never a word the messages use anyway ("name", "host").
  const password = fc.stringMatching(/^[A-Za-z0-9@:!$&'()*+,;=%~._-]{2,24}$/).map((p) => `Qz7${p}`);
  const shape = fc.constantFrom(
    (pw: string) => `http://bob:${pw}@proxy.example:3128`,
    (pw: string) => ` http://bob:${pw}@proxy.example:3128`,
    (pw: string) => `\thttp://bob:${pw}@proxy.example:3128`,
    (pw: string) => `http:bob:${pw}@proxy.example:3128`,
    (pw: string) => `http:\\\\bob:${pw}@proxy.example:3128`,
    (pw: string) => `http://bob:${pw}@proxy.example:3128\\path`,
    (pw: string) => `HTTPS://bob:${pw}@proxy.example`,
    (pw: string) => `http://${pw}@proxy.example:3128/`,
    (pw: string) => `http://bob:${pw}@@proxy.example:3128`,
    (pw: string) => `ftp://bob:${pw}@proxy.example:21`,
    (pw: string) => `http://bob:${pw}@proxy.example:99999`,
    (pw: string) => `http://bob:${pw}@`,
    (pw: string) => `http://bob:${pw}@proxy.example:3128 `,
  );

  it("whatever the shape, the password is masked when valid and never repeated when not", async () => {
    const cwd = workspace();
    await fc.assert(
      fc.asyncProperty(password, shape, fc.constantFrom("HTTP_PROXY", "HTTPS_PROXY"), async (pw, make, key) => {
        const value = make(pw);
        writeFileSync(join(cwd, ".arg"), `${key}='${value.replace(/'/g, "")}'\n`);
        const written = value.replace(/'/g, "");
        const bare = pw.replace(/'/g, "");
        // Where the value is userinfo alone (`http://TOKEN@host`), a `:` in it starts the password:
        // the part before is a user name.
        const secret = written.startsWith(`http://${bare}@`) && bare.includes(":") ? bare.slice(bare.indexOf(":") + 1) : bare;
        if (secret.length < 4) return;
        try {
          const resolved = await loadConfig({ cwd, overrides: [], env: {} });
          const got = (resolved.config as unknown as Record<string, string>)[key] ?? "";
          expect(got).toBe(written);
          const shown = maskValue(key, got);
          expect(shown).not.toContain(secret);
          const argv = earthlyArgs([], "+iso", { [key]: got }).join(" ");
          expect(argv).not.toContain(secret);
          // Where it is valid, its secret part is what a URL parser would send as userinfo.
          expect(argFileText({ [key]: got })).toContain(got.includes("@") ? secret : "");
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          const text = error.problems.map((p) => `${p.where} ${p.message}`).join("\n") + error.message;
          expect(text).not.toContain(secret);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a password holding @ is masked whole (the userinfo ends at the last @)", () => {
    expect(maskValue("HTTP_PROXY", "http://bob:p@ss@w0rd@proxy:3128")).toBe("http://bob:****@proxy:3128");
    expect(parseProxyUrl(" http://bob:pw@proxy").ok).toBe(false);
    expect(parseProxyUrl("http:bob:pw@proxy").ok).toBe(false);
    expect(parseProxyUrl("http://bob:pw@proxy\\x").ok).toBe(false);
    // A value the reader rejects is masked whole: nobody can tell where its password is.
    expect(maskValue("HTTPS_PROXY", "http:bob:pw@proxy")).toBe("****");
  });

  it("validate and a dry run show no password of a proxy URL that is not written scheme://", async () => {
    const cwd = argWorkspace();
    for (const value of [" http://bob:Hunter2Pw@proxy:3128", "http:bob:Hunter2Pw@proxy:3128", "http://bob:Hunter2Pw@proxy:3128\\x"]) {
      for (const args of [["validate"], ["validate", "--json"], ["iso", "--dry-run", "--json"], ["iso"]]) {
        const r = await canvos(args, { cwd, env: env({ HTTP_PROXY: value }) });
        expect(r.exitCode, `${args.join(" ")} ${value}`).toBe(2);
        expect(everything(cwd, r), `${args.join(" ")} ${value}`).not.toContain("Hunter2Pw");
      }
    }
  });
});

describe("--secret NAME=value: what follows the = never shows", () => {
  it("is refused before anything runs, by the builds, their dry runs and matrix, without the value", async () => {
    const cwd = argWorkspace();
    const record = join(cwd, "record.json");
    for (const args of [
      ["iso", "--secret", "MY_TOKEN=Sup3rS3cretVal"],
      ["iso", "--dry-run", "--json", "--secret", "MY_TOKEN=Sup3rS3cretVal"],
      ["build-all", "--dry-run", "--secret=MY_TOKEN=Sup3rS3cretVal"],
      ["matrix", "--json", "--secret", "MY_TOKEN=Sup3rS3cretVal"],
      ["matrix", "--secret", "=Sup3rS3cretVal"],
      ["iso", "--earthly-flag=--secret=MY_TOKEN=Sup3rS3cretVal"],
      ["iso", "--earthly-flag=MY_TOKEN=Sup3rS3cretVal"],
    ]) {
      const r = await canvos(args, { cwd, env: env({ FAKE_EARTHLY_RECORD: record }) });
      expect(r.exitCode, args.join(" ")).toBe(2);
      expect(everything(cwd, r), args.join(" ")).not.toContain("Sup3rS3cretVal");
      expect(existsSync(record), "Earthly ran").toBe(false);
    }
    const r = await canvos(["iso", "--dry-run", "--secret", "MY_TOKEN=Sup3rS3cretVal"], { cwd, env: env() });
    expect(String(r.stderr)).toContain("--secret: error: MY_TOKEN=… gives a value on the command line");
  });
});

describe("an arg file that is really a credentials file", () => {
  const TOKEN = "ghp_R4nd0mT0kenValue9Xy";
  const files = [
    TOKEN,
    `https://bob:${TOKEN}@github.com`,
    `Authorization: Bearer ${TOKEN}`,
    `{"auths":{"registry.example.com":{"auth":"${TOKEN}"}}}`,
    `machine github.com login bob password ${TOKEN}`,
    `password ${TOKEN}`,
    `${TOKEN}=`,
    `TOKEN="${TOKEN}"trailing`,
    `[default]\naws_secret_access_key ${TOKEN}`,
  ];
  it("gets errors that never quote the line", async () => {
    const cwd = workspace();
    for (const text of files) {
      writeFileSync(join(cwd, "creds"), text + "\n");
      for (const args of [["validate", "--arg-file", "creds"], ["validate", "--json", "--arg-file", "creds"], ["iso", "--arg-file", "creds"]]) {
        const r = await canvos(args, { cwd, env: env({ GITHUB_ACTIONS: "true" }) });
        expect(r.exitCode, text).toBe(2);
        expect(everything(cwd, r), `${args.join(" ")}: ${text}`).not.toContain(TOKEN);
        expect(everything(cwd, r), `${args.join(" ")}: ${text}`).not.toContain("R4nd0mT0ken");
      }
    }
  });

  it("still names a plausible key, so a typo stays easy to find", async () => {
    const cwd = workspace();
    writeArg(cwd, "ARCH amd64\n");
    const r = await canvos(["validate"], { cwd, env: env() });
    expect(String(r.stderr)).toContain(".arg:1: error: expected KEY=value; the line starts with ARCH (the line is not shown: it may hold a secret)");
  });
});

describe("a secret split by colour codes in Earthly's output", () => {
  const secret = "Hunter2Secret";
  it("is masked in the raw bytes and in the cleaned log, wherever escape sequences cut it", () => {
    const escape = fc.constantFrom("\u001b[0m", "\u001b[31m", "\u001b[1;32m", "\u001b]8;;http://x\u0007", "\u001b[K", "\u001b(B".slice(0, 0));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: secret.length - 1 }), escape), { maxLength: 4 }), fc.string({ maxLength: 10 }), (cuts, before) => {
        let text = secret;
        for (const [at, esc] of [...cuts].sort((a, b) => b[0] - a[0])) text = text.slice(0, at) + esc + text.slice(at);
        const line = Buffer.from(`${before.replace(/[\r\n]/g, "")}  +iso | ${text} done\n`);
        const masked = redactBytes(line, [Buffer.from(secret)]);
        expect(cleanLines(Buffer.from(masked), false).toString()).not.toContain(secret);
        expect(masked.toString().replace(/\u001b\[[0-9;]*[A-Za-z]|\u001b\][^\u0007]*\u0007/g, "")).not.toContain(secret);
        expect(masked.toString()).toContain("****");
      }),
      { numRuns: 300 },
    );
  });

  it("does not reach the log or stderr of a real run (colour on, --verbose)", async () => {
    const cwd = argWorkspace();
    const bin = wrapStandIn(cwd, { before: `printf '         +base-image | \\033[33mHunt\\033[0mer2\\033[1mSecr\\033[0met\\n' >&2` });
    const r = await canvos(["iso", "--verbose", "--secret", "MY_TOKEN"], { cwd, env: env({ CANVOS_EARTHLY_BIN: bin, MY_TOKEN: secret }) });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const all = everything(cwd, r).replace(/\u001b\[[0-9;]*m/g, "");
    expect(all).not.toContain(secret);
    expect(all).toContain("+base-image | ****");
  });
});

describe("values expanded from secret-named variables", () => {
  it("are masked everywhere and kept off Earthly's command line (an Earthfile's own ARG)", async () => {
    const cwd = argWorkspace();
    // The project's Earthfile with one ARG of the user's own.
    const earthfile = readFileSync(join(ROOT, "Earthfile"), "utf8").replace(/^VERSION 0\.8\n/, 'VERSION 0.8\nARG --global MY_API=""\n');
    writeFileSync(join(cwd, "Earthfile"), earthfile);
    writeFileSync(join(cwd, ".arg"), "CUSTOM_TAG=demo\nMY_API=key-${GITHUB_TOKEN}\nHTTP_PROXY=${CORP_PROXY_SECRET}\n");
    const record = join(cwd, "record.json");
    // Proxy mode starts a BuildKit helper container: the docker stand-in plays it.
    const e = env({ GITHUB_TOKEN: "ghTokenValue77", CORP_PROXY_SECRET: "http://proxy.corp.example:3128", FAKE_EARTHLY_RECORD: record, FAKE_DOCKER_LOG: join(cwd, "docker.jsonl") });
    for (const args of [["validate"], ["validate", "--json"], ["iso", "--dry-run"], ["iso", "--dry-run", "--json"], ["matrix", "--json"]]) {
      const r = await canvos(args, { cwd, env: e });
      expect(r.exitCode, `${args.join(" ")}\n${String(r.stderr)}`).toBe(0);
      expect(everything(cwd, r), args.join(" ")).not.toContain("ghTokenValue77");
      expect(everything(cwd, r), args.join(" ")).not.toContain("proxy.corp.example");
    }
    const validate = await canvos(["validate"], { cwd, env: e });
    expect(String(validate.stdout)).toMatch(/MY_API\s+\*\*\*\*/);
    const r = await canvos(["iso"], { cwd, env: e });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(everything(cwd, r)).not.toContain("ghTokenValue77");
    const got = readRecord(record);
    expect(got.argv.join(" ")).not.toContain("ghTokenValue77");
    // Earthly still gets the value, through the 0600 arg file.
    expect(got.buildArgs["MY_API"]).toBe("key-ghTokenValue77");
  });

  it("are refused in a parameter that shows in image names and paths, without the value", async () => {
    const cwd = argWorkspace();
    writeFileSync(join(cwd, ".arg"), "CUSTOM_TAG=${GITHUB_TOKEN}\n");
    const r = await canvos(["validate"], { cwd, env: env({ GITHUB_TOKEN: "ghTokenValue77" }) });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toContain(".arg:1: error: CUSTOM_TAG takes its value from a variable whose name marks it as a secret");
    expect(everything(cwd, r)).not.toContain("ghTokenValue77");
  });
});

describe("Earthly's own .secret and .env", () => {
  it("are never read: Earthly is pointed at canvos's own empty files, and canvos says why", async () => {
    const cwd = argWorkspace();
    writeFileSync(join(cwd, ".secret"), "MY_TOKEN=fromDotSecret\n");
    writeFileSync(join(cwd, ".env"), "EARTHLY_BUILDKIT_HOST=tcp://elsewhere:8372\n");
    const record = join(cwd, "record.json");
    const r = await canvos(["iso"], { cwd, env: env({ FAKE_EARTHLY_RECORD: record }) });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const got = readRecord(record) as ReturnType<typeof readRecord> & { fileSecrets: string[]; fileEnv: string[]; secretFile: string; envFile: string };
    expect(got.fileSecrets).toEqual([]);
    expect(got.fileEnv).toEqual([]);
    expect(got.secretFile).toBe(".canvos/build.secret");
    expect(got.envFile).toBe(".canvos/build.env");
    expect(String(r.stderr)).toContain("warning: .secret: Earthly would read this file by itself; canvos does not let it");
    // The run's files go with the run.
    expect(existsSync(join(cwd, ".canvos", "build.secret"))).toBe(false);
  });

  it("cannot be reinstated through a pass-through flag or Earthly's environment variables", async () => {
    const cwd = argWorkspace();
    copyFileSync(join(cwd, ".arg"), join(cwd, "other"));
    writeFileSync(join(cwd, "s"), "MY_TOKEN=x\n");
    const r = await canvos(["iso", "--earthly-flag=--secret-file-path=s"], { cwd, env: env() });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toContain("--secret-file-path is set by canvos");
    const record = join(cwd, "record.json");
    const ok = await canvos(["iso"], { cwd, env: env({ FAKE_EARTHLY_RECORD: record, EARTHLY_SECRET_FILE_PATH: "s", EARTHLY_ENV_FILE_PATH: "s" }) });
    expect(ok.exitCode, String(ok.stderr)).toBe(0);
    const got = readRecord(record) as ReturnType<typeof readRecord> & { fileSecrets: string[] };
    expect(got.fileSecrets).toEqual([]);
    expect(got.env["EARTHLY_SECRET_FILE_PATH"]).toBeUndefined();
  });
});
