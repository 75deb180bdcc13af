// Input that hung canvos or exhausted its memory (issue 14): special files where it reads a file,
// `$VAR` chains that expand to gigabytes, and registries that answer with endless token bodies,
// malformed realms, or realms elsewhere over plain HTTP.
import { execFileSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/resolve.js";
import { ConfigError, EnvironmentError } from "../../src/errors.js";
import { RegistryClient } from "../../src/registry/client.js";
import { findCredentials } from "../../src/registry/credentials.js";
import { readRegularFile } from "../../src/workspace/safe-fs.js";
import { argWorkspace, canvos, workspace } from "../support/cli.js";
import { pathWithFake } from "../support/fake-earthly.js";

const env = (extra: Record<string, string> = {}): Record<string, string> => ({ PATH: pathWithFake(), ...extra });

const SPECIAL = {
  fifo: (path: string) => execFileSync("mkfifo", [path]),
  "link to /dev/zero": (path: string) => symlinkSync("/dev/zero", path),
  "link to /dev/urandom": (path: string) => symlinkSync("/dev/urandom", path),
  directory: (path: string) => mkdirSync(path),
} as const;

describe("special files where canvos reads a file", () => {
  // Every file canvos reads from the workspace or a path the configuration names.
  const places: ReadonlyArray<{ name: string; file: string; arg?: string; args: string[] }> = [
    { name: "user-data", file: "user-data", args: ["validate"] },
    { name: "luet auth", file: "spectro-luet-auth.yaml", args: ["validate"] },
    { name: "Earthfile", file: "Earthfile", args: ["validate"] },
    { name: "PROXY_CERT_PATH", file: "proxy.pem", arg: "PROXY_CERT_PATH=proxy.pem", args: ["validate"] },
    { name: "CLUSTERCONFIG", file: "spc.tgz", arg: "CLUSTERCONFIG=spc.tgz", args: ["validate"] },
    { name: "the arg file", file: "other.arg", args: ["validate", "--arg-file", "other.arg"] },
    { name: "the ISO's user-data (a build)", file: "user-data", args: ["iso", "--dry-run"] },
  ];
  for (const place of places) {
    for (const [kind, make] of Object.entries(SPECIAL)) {
      it(`${place.name} as a ${kind}: an answer within seconds, never a hang or a flood`, async () => {
        const cwd = argWorkspace();
        if (place.arg !== undefined) writeFileSync(join(cwd, ".arg"), `CUSTOM_TAG=demo\n${place.arg}\n`);
        mkdirSync(join(cwd, "docker"), { recursive: true });
        rmSync(join(cwd, place.file), { force: true });
        make(join(cwd, place.file));
        const started = Date.now();
        const r = await canvos(place.args, { cwd, env: env({ DOCKER_CONFIG: join(cwd, "docker") }) }).catch((error: unknown) => error as never);
        expect(Date.now() - started).toBeLessThan(10_000);
        // Refused as a configuration problem (exit 2); an Earthfile that is no regular file marks
        // no workspace (exit 3, src/workspace/find.ts); never a crash (70) or a hang.
        expect(place.file === "Earthfile" ? [3] : [0, 2], String(r.stderr)).toContain(r.exitCode);
        expect(String(r.stderr).length).toBeLessThan(8_000);
      }, 20_000);
    }
  }

  it("Docker's config.json (read for the push check) as a FIFO or a link to /dev/zero: no credentials, at once", async () => {
    for (const make of [SPECIAL.fifo, SPECIAL["link to /dev/zero"]]) {
      const dir = workspace();
      make(join(dir, "config.json"));
      const started = Date.now();
      const found = await findCredentials("registry.example.com", { env: { DOCKER_CONFIG: dir } });
      expect(found.credentials).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(2_000);
    }
  });

  it("a file that grows past the limit while it is read is cut off, whatever stat said", async () => {
    const cwd = workspace();
    symlinkSync("/dev/zero", join(cwd, "z"));
    await expect(readRegularFile(join(cwd, "z"), 1024)).rejects.toMatchObject({ code: "ENOTREG" });
    // /proc files report size 0 and hold more: the read limit, not stat, bounds them.
    await expect(readRegularFile("/proc/self/maps", 16)).rejects.toMatchObject({ code: "EFBIG" });
  });
});

describe("$VAR expansion is bounded", () => {
  it("a doubling chain in a small arg file is an error within a second, with a bounded message", async () => {
    const cwd = argWorkspace();
    const lines = ["V0=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"];
    for (let i = 1; i <= 40; i++) lines.push(`V${i}=$V${i - 1}$V${i - 1}`);
    lines.push("CUSTOM_TAG=$V40", "NO_PROXY=${V40}");
    writeFileSync(join(cwd, ".arg"), lines.join("\n") + "\n");
    const started = Date.now();
    const r = await canvos(["validate", "--json"], { cwd, env: env() });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.exitCode).toBe(2);
    expect(String(r.stdout).length + String(r.stderr).length).toBeLessThan(200_000);
    expect(String(r.stdout)).toContain("its $VAR expansion grows past 64 KiB");
  });

  it("any chain shape, depth and width: a ConfigError or a configuration, fast, never more than the bound", async () => {
    const cwd = workspace();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 300 }), fc.boolean(), async (depth, width, seed, braces) => {
        const lines = [`V0=${"y".repeat(seed)}`];
        for (let i = 1; i <= depth; i++) lines.push(`V${i}=${Array.from({ length: width }, () => (braces ? `\${V${i - 1}}` : `$V${i - 1}`)).join("-")}`);
        lines.push(`NO_PROXY=$V${depth}`);
        writeFileSync(join(cwd, ".arg"), lines.join("\n") + "\n");
        const started = performance.now();
        try {
          const resolved = await loadConfig({ cwd, overrides: [], env: {} });
          expect(resolved.config.NO_PROXY.length).toBeLessThanOrEqual(64 * 1024);
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          const text = error.problems.map((p) => p.message).join("\n");
          expect(text.length).toBeLessThan(100_000);
        }
        expect(performance.now() - started).toBeLessThan(2_000);
      }),
      { numRuns: 60 },
    );
  });

  it("quoted excerpts of long values are cut short", async () => {
    const cwd = argWorkspace();
    writeFileSync(join(cwd, ".arg"), `ARCH=${"q".repeat(500_000)}\n`);
    const r = await canvos(["validate"], { cwd, env: env() });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toContain("(500000 characters)");
    expect(String(r.stderr).length).toBeLessThan(2_000);
  });
});

describe("a hostile registry", () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      s.close();
    }
  });
  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  const challenge = (realm: string) => ({ "www-authenticate": `Bearer realm="${realm}",service="reg"` });

  it("a token response without end is cut off at its limit, in bounded memory", async () => {
    let host = "";
    host = await serve((req, res) => {
      if (req.url?.startsWith("/v2/")) {
        res.writeHead(401, challenge(`http://${host}/token`));
        res.end();
        return;
      }
      // 400 MiB of token body, as fast as the client takes it.
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      let sent = 0;
      const pump = (): void => {
        while (sent < 400 && res.write(chunk)) sent++;
        if (sent >= 400) res.end();
        else res.once("drain", pump);
      };
      pump();
    });
    const before = process.memoryUsage().rss;
    const error = await new RegistryClient({ env: {} }).imageExists(`${host}/a/b:c`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as Error).message).toContain("answered with more than 1 MiB");
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });

  for (const realm of ["::not a url::", "file:///etc/passwd", "data:,token", "ftp://example.com/token", ""]) {
    it(`a realm of ${JSON.stringify(realm)} is an environment error (exit 3), not a crash`, async () => {
      const host = await serve((_req, res) => {
        res.writeHead(401, challenge(realm));
        res.end();
      });
      const error = await new RegistryClient({ env: {} }).imageExists(`${host}/a/b:c`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EnvironmentError);
    });
  }

  it("Basic credentials never go in clear text to a token realm on another host; to the registry's own host they do", async () => {
    const seen: Array<string | undefined> = [];
    const tokenService = await serve((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"token":"t"}');
    });
    // "localhost" is another host name than the registry's 127.0.0.1.
    const elsewhere = tokenService.replace("127.0.0.1", "localhost");
    const registry = await serve((req, res) => {
      if (req.headers.authorization === "Bearer t") res.writeHead(200);
      else res.writeHead(401, challenge(`http://${elsewhere}/token`));
      res.end();
    });
    const warnings: string[] = [];
    const client = new RegistryClient({ env: {}, credentials: { username: "bob", password: "pw" }, onWarning: (m) => warnings.push(m) });
    expect(await client.imageExists(`${registry}/a/b:c`)).toBe(true);
    expect(seen).toEqual([undefined]);
    expect(warnings.join("\n")).toContain("over plain HTTP on another host");

    const sameHost = await serve((req, res) => {
      if (req.url?.startsWith("/token")) {
        seen.push(req.headers.authorization);
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"token":"t"}');
        return;
      }
      if (req.headers.authorization === "Bearer t") res.writeHead(200);
      else res.writeHead(401, challenge(`http://${req.headers.host}/token`));
      res.end();
    });
    expect(await new RegistryClient({ env: {}, credentials: { username: "bob", password: "pw" } }).imageExists(`${sameHost}/a/b:c`)).toBe(true);
    expect(seen[1]).toBe(`Basic ${Buffer.from("bob:pw").toString("base64")}`);
  });
});
