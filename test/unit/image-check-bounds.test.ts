// Registry answers read within bounds: a manifest or config past a few MiB is an error (exit 3),
// never read into memory whole, and a layer download ends when the run's cancel signal fires.
// A real HTTP server on loopback plays the registry (the failure cases a real one does not make).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { checkImage } from "../../src/image/check.js";
import { MAX_MANIFEST } from "../../src/registry/client.js";
import { EnvironmentError } from "../../src/errors.js";

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.closeAllConnections();
});

async function registry(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const opts = { arch: "amd64", distribution: "ubuntu", env: {}, registry: true };
const manifest = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { digest: "sha256:" + "c".repeat(64) }, layers: [{ digest: "sha256:" + "l".repeat(64) }] });

describe("registry reads in the image checks", () => {
  it("a manifest past the bound, with or without Content-Length: exit 3 saying so, not read on", async () => {
    let sent = 0;
    const host = await registry((req, res) => {
      if (req.url === "/v2/") return res.end("{}");
      res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" });
      // Chunked, endless: only a reader that stops can finish.
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = (): void => {
        while (sent < 64 * MAX_MANIFEST && res.write(chunk)) sent += chunk.length;
        if (sent < 64 * MAX_MANIFEST) res.once("drain", pump);
        else res.end();
      };
      res.on("close", () => res.removeAllListeners("drain"));
      pump();
    });
    const error = await checkImage(`${host}/big:1`, opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as Error).message).toBe(`the registry answered with more than 4 MiB for the manifest of ${host}/big:1; an image's manifest is a few KiB`);
    expect(sent).toBeLessThan(16 * MAX_MANIFEST);

    const declared = await registry((req, res) => {
      if (req.url === "/v2/") return res.end("{}");
      if (req.url?.includes("/manifests/")) return res.end(manifest);
      res.writeHead(200, { "content-length": String(MAX_MANIFEST + 1) });
      res.write("{");
    });
    const big = await checkImage(`${declared}/big:1`, opts).catch((e: unknown) => e);
    expect((big as Error).message).toContain("for the image config of");
  });

  it("a manifest that is not JSON: exit 3 saying so", async () => {
    const host = await registry((req, res) => res.end(req.url === "/v2/" ? "{}" : "<html>not a registry</html>"));
    const error = await checkImage(`${host}/html:1`, opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as Error).message).toBe(`the registry's manifest of ${host}/html:1 is not a JSON object`);
  });

  // Cancelled at the first moment the layer is being read, and again once its bytes have had time
  // to arrive: a cancel that came while the reader was still starting once threw an uncaught
  // AbortError and left the check hanging.
  it.each([
    ["as its first bytes are sent", 0],
    ["while it is being read", 200],
  ])("a layer download that never ends stops when the run is cancelled %s", async (_when, delay) => {
    const controller = new AbortController();
    let closed: () => void = () => undefined;
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
    const host = await registry((req, res) => {
      if (req.url === "/v2/") return res.end("{}");
      if (req.url?.includes("/manifests/")) return res.end(manifest);
      if (req.url?.includes("c".repeat(64))) return res.end(JSON.stringify({ os: "linux", architecture: "amd64" }));
      res.writeHead(200);
      res.write(Buffer.alloc(1024), () => setTimeout(() => controller.abort(), delay));
      res.on("close", closed);
    });
    const outcome = await checkImage(`${host}/slow:1`, { ...opts, signal: controller.signal }).then(
      () => "resolved",
      (error: unknown) => (error as Error).name,
    );
    // Cancelled before the layer's answer reached the client, the request itself says so instead.
    expect(["AbortError", "EnvironmentError"]).toContain(outcome);
    await connectionClosed;
  });
});
