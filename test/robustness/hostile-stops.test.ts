// Stops that were not prompt (issue 14): Ctrl-C while push verification waits on a registry that
// never answers or on a credential helper that hangs, a process left holding Earthly's output pipe,
// Ctrl-C at the hidden secret prompt; and an image flag that would reach docker's option parser.
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { InterruptedError } from "../../src/errors.js";
import { readSecrets, type SecretIo } from "../../src/earthly/secrets.js";
import { argWorkspace, canvos, workspace } from "../support/cli.js";
import { pathWithFake, writeArg } from "../support/fake-earthly.js";
import { newMarker, processesWithMarker, waitFor, wrapStandIn } from "./support.js";

const servers: Array<Server | HttpServer> = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

/** Accepts connections and never answers: a registry that hangs. */
async function silentRegistry(): Promise<string> {
  const server = createServer((socket) => sockets.push(socket));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Asks for a Bearer token (so canvos asks Docker's credential helper first). */
async function challengingRegistry(): Promise<string> {
  const server = createHttpServer((req, res) => {
    res.writeHead(401, { "www-authenticate": `Bearer realm="http://${req.headers.host}/token",service="reg"` });
    res.end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function interruptPushCheck(registry: string, extraEnv: Record<string, string>, when: (stderr: string) => boolean): Promise<{ code: number | undefined; afterSignalMs: number; marker: string }> {
  const cwd = argWorkspace();
  // Earthly claims the push (its own push to a hanging registry would hang the build, not the check).
  writeArg(cwd, `IMAGE_REGISTRY=${registry}\nIMAGE_REPO=canvos-hang\nCUSTOM_TAG=demo\n`);
  const marker = newMarker();
  const run = canvos(["provider", "--push", "--k8s-version", "1.27.2"], { cwd, env: { PATH: pathWithFake(), CANVOS_ROBUSTNESS_MARK: marker, FAKE_EARTHLY_NOT_PUSHED: "canvos-hang", ...extraEnv } });
  let stderr = "";
  run.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  await waitFor(() => when(stderr), 20_000, "the push check to start");
  const signalled = Date.now();
  run.kill("SIGINT");
  const r = await run;
  return { code: r.exitCode, afterSignalMs: Date.now() - signalled, marker };
}

describe("Ctrl-C during push verification", () => {
  it("ends a request to a registry that never answers at once (not after its 30 s timeout)", async () => {
    const registry = await silentRegistry();
    const r = await interruptPushCheck(registry, { DOCKER_CONFIG: workspace("canvos-dcfg-") }, (s) => s.includes("checking the outputs") && sockets.length > 0);
    expect(r.code).toBe(130);
    expect(r.afterSignalMs).toBeLessThan(5_000);
  }, 40_000);

  it("ends a credential helper that hangs, and everything it started", async () => {
    const registry = await challengingRegistry();
    const bin = workspace("canvos-helper-");
    const started = join(bin, "started");
    writeFileSync(join(bin, "docker-credential-hang"), `#!/bin/sh\n: > '${started}'\nsleep 60\n`);
    chmodSync(join(bin, "docker-credential-hang"), 0o755);
    const dcfg = workspace("canvos-dcfg-");
    writeFileSync(join(dcfg, "config.json"), JSON.stringify({ credsStore: "hang" }));
    const r = await interruptPushCheck(registry, { DOCKER_CONFIG: dcfg, PATH: `${bin}:${pathWithFake()}` }, () => existsSync(started));
    expect(r.code).toBe(130);
    expect(r.afterSignalMs).toBeLessThan(5_000);
    await waitFor(() => processesWithMarker(r.marker).length === 0, 5_000, "the helper to be gone");
  }, 40_000);
});

describe("a process left holding Earthly's output pipe", () => {
  it("does not make canvos wait: the run ends soon after Earthly exits", async () => {
    const cwd = argWorkspace();
    const marker = newMarker();
    // A wrapper script that leaves a background process in a session of its own, out of the
    // process group canvos ends, with Earthly's stdout and stderr.
    const bin = wrapStandIn(workspace("canvos-side-"), { after: "setsid sleep 60 &" });
    const started = Date.now();
    const r = await canvos(["iso"], { cwd, env: { PATH: pathWithFake(), CANVOS_EARTHLY_BIN: bin, CANVOS_ROBUSTNESS_MARK: marker } });
    const took = Date.now() - started;
    for (const p of processesWithMarker(marker)) process.kill(p.pid, "SIGKILL");
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(took).toBeLessThan(15_000);
    expect(String(r.stderr)).toContain("canvos iso succeeded");
    expect(readFileSync(join(cwd, "build", "canvos-manifest.iso.json"), "utf8")).toContain('"succeeded"');
  }, 40_000);
});

describe("Ctrl-C at the hidden secret prompt", () => {
  it("is an interruption (exit 130), not a missing value (exit 2)", async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin }) as unknown as NodeJS.ReadStream;
    const stderr = Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.WriteStream;
    let shown = "";
    stderr.on("data", (chunk: Buffer) => (shown += chunk.toString()));
    const io: SecretIo = { stdin, stderr };
    const asked = readSecrets(["MY_TOKEN"], {}, io);
    // Ctrl-C once the prompt is up, as a user presses it.
    await waitFor(() => shown.includes("MY_TOKEN (input hidden): "), 5_000, "the prompt");
    (stdin as unknown as PassThrough).write("\u0003");
    const error = await asked.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterruptedError);
    expect((error as InterruptedError).exitCode).toBe(130);
  });
});

describe("image references given as flags", () => {
  for (const image of ["-v/etc:/host", "--privileged", "-", "Bad Image", "img:tag\nx"]) {
    it(`--earthly-image=${JSON.stringify(image)} is refused before docker is asked anything`, async () => {
      const cwd = argWorkspace();
      const log = join(cwd, "docker.jsonl");
      const r = await canvos(["iso", "--runner", "docker", `--earthly-image=${image}`], { cwd, env: { PATH: pathWithFake(), FAKE_DOCKER_LOG: log } });
      expect(r.exitCode).toBe(2);
      expect(String(r.stderr)).toContain("--earthly-image: error:");
      expect(existsSync(log)).toBe(false);
      const doctor = await canvos(["doctor", `--earthly-image=${image}`], { cwd, env: { PATH: pathWithFake(), FAKE_DOCKER_LOG: log } });
      expect(doctor.exitCode).toBe(2);
      expect(existsSync(log)).toBe(false);
    });
  }
});
