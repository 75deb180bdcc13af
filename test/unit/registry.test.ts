import { createServer, type IncomingMessage, type Server } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { imageExists, MANIFEST_ACCEPT, parseChallenge } from "../../src/registry/client.js";
import { findCredentials } from "../../src/registry/credentials.js";
import { imageReferenceProblem, splitReference } from "../../src/config/image-ref.js";
import { parseImageRef, registryScheme } from "../../src/registry/reference.js";
import { EnvironmentError } from "../../src/errors.js";

type Reply = { status: number; headers?: Record<string, string | undefined>; body?: string };
type Handler = (req: IncomingMessage, url: URL) => Reply;

const servers: Server[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function serve(handler: Handler): Promise<{ host: string; seen: Array<{ method: string; path: string; auth: string | undefined; accept: string | undefined }> }> {
  const seen: Array<{ method: string; path: string; auth: string | undefined; accept: string | undefined }> = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    seen.push({ method: req.method ?? "", path: url.pathname + url.search, auth: req.headers.authorization, accept: req.headers.accept });
    const out = handler(req, url);
    res.writeHead(out.status, Object.fromEntries(Object.entries(out.headers ?? {}).filter((e): e is [string, string] => e[1] !== undefined)));
    res.end(out.body ?? "");
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function dockerConfig(content: unknown): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), "canvos-dockercfg-"));
  dirs.push(dir);
  writeFileSync(join(dir, "config.json"), JSON.stringify(content));
  return { DOCKER_CONFIG: dir, PATH: process.env["PATH"] };
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("image references", () => {
  it("normalises like Docker", () => {
    expect(parseImageRef("ubuntu")).toEqual({ registry: "docker.io", apiHost: "registry-1.docker.io", repository: "library/ubuntu", reference: "latest" });
    expect(parseImageRef("ttl.sh/ubuntu:k3s-1.27.2-v4.3.2-demo")).toMatchObject({ registry: "ttl.sh", repository: "ubuntu", reference: "k3s-1.27.2-v4.3.2-demo" });
    expect(parseImageRef("127.0.0.1:5000/edge/ubuntu:t")).toMatchObject({ registry: "127.0.0.1:5000", repository: "edge/ubuntu", reference: "t" });
    expect(parseImageRef("localhost/x@sha256:abc")).toMatchObject({ registry: "localhost", repository: "x", reference: "sha256:abc" });
    expect(parseImageRef("user/app:1")).toMatchObject({ registry: "docker.io", repository: "user/app", reference: "1" });
    // As Docker: an uppercase first component is a host (no repository path may have one), and a
    // digest wins over a tag written before it.
    expect(parseImageRef("Registry/app:1")).toMatchObject({ registry: "Registry", apiHost: "Registry", repository: "app", reference: "1" });
    expect(parseImageRef("ttl.sh/app:1@sha256:abc")).toMatchObject({ registry: "ttl.sh", repository: "app", reference: "sha256:abc" });
  });
  it("is split as validation splits it", () => {
    expect(splitReference("registry.example.com:5000/edge/ubuntu:k3s-1.27@sha256:ab")).toEqual({ domain: "registry.example.com:5000", path: "edge/ubuntu", tag: "k3s-1.27", digest: "sha256:ab" });
    expect(splitReference("edge/ubuntu")).toEqual({ domain: undefined, path: "edge/ubuntu", tag: undefined, digest: undefined });
    expect(splitReference("localhost:5000/x")).toEqual({ domain: "localhost:5000", path: "x", tag: undefined, digest: undefined });
    for (const ref of ["ubuntu", "ttl.sh/ubuntu:t", "127.0.0.1:5000/edge/ubuntu:t", "Registry/app:1"]) {
      const { domain, path } = splitReference(ref);
      const parsed = parseImageRef(ref);
      expect(parsed.registry).toBe(domain ?? "docker.io");
      expect(parsed.repository.endsWith(path)).toBe(true);
      expect(imageReferenceProblem(ref), ref).toBeUndefined();
    }
  });
  it("speaks http only to loopback", () => {
    expect(registryScheme("127.0.0.1:5000")).toBe("http");
    expect(registryScheme("localhost:5000")).toBe("http");
    expect(registryScheme("[::1]:5000")).toBe("http");
    expect(registryScheme("registry.example.com:5000")).toBe("https");
    expect(registryScheme("ttl.sh")).toBe("https");
  });
  it("parses challenges with quoted commas", () => {
    expect(parseChallenge('Bearer realm="https://a/token",service="reg",scope="repository:a/b:pull,push"')).toEqual({
      scheme: "bearer",
      params: { realm: "https://a/token", service: "reg", scope: "repository:a/b:pull,push" },
    });
  });
});

describe("imageExists", () => {
  it("open registry: HEAD with every manifest type accepted; 200 → true, 404 → false", async () => {
    const { host, seen } = await serve((_req, url) => ({ status: url.pathname.endsWith("/manifests/there") ? 200 : 404 }));
    expect(await imageExists(`${host}/edge/ubuntu:there`, { env: {} })).toBe(true);
    expect(await imageExists(`${host}/edge/ubuntu:gone`, { env: {} })).toBe(false);
    expect(seen[0]).toMatchObject({ method: "HEAD", path: "/v2/edge/ubuntu/manifests/there", auth: undefined });
    expect(seen[0]?.accept).toBe(MANIFEST_ACCEPT);
    for (const type of ["oci.image.index.v1", "manifest.list.v2", "distribution.manifest.v2", "oci.image.manifest.v1"]) expect(MANIFEST_ACCEPT).toContain(type);
  });

  it("token auth: follows the Bearer challenge to the realm with Basic credentials from Docker's config", async () => {
    let realm = "";
    const { host, seen } = await serve((req, url) => {
      if (url.pathname === "/token") {
        if (req.headers.authorization !== `Basic ${b64("bob:s3cret")}`) return { status: 401 };
        expect(url.searchParams.get("service")).toBe("test-registry");
        expect(url.searchParams.get("scope")).toBe("repository:edge/ubuntu:pull");
        return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ token: "tok123" }) };
      }
      if (req.headers.authorization !== "Bearer tok123") {
        return { status: 401, headers: { "www-authenticate": `Bearer realm="${realm}",service="test-registry",scope="repository:edge/ubuntu:pull"` } };
      }
      return { status: url.pathname.endsWith("/there") ? 200 : 404 };
    });
    realm = `http://${host}/token`;
    const env = dockerConfig({ auths: { [`http://${host}`]: { auth: b64("bob:s3cret") } } });
    expect(await imageExists(`${host}/edge/ubuntu:there`, { env })).toBe(true);
    expect(seen.map((s) => `${s.method} ${s.path.split("?")[0]} ${s.auth ?? "-"}`)).toEqual([
      "HEAD /v2/edge/ubuntu/manifests/there -",
      `GET /token Basic ${b64("bob:s3cret")}`,
      "HEAD /v2/edge/ubuntu/manifests/there Bearer tok123",
    ]);
    expect(await imageExists(`${host}/edge/ubuntu:gone`, { env })).toBe(false);
  });

  it("identity token: traded at the realm by a POSTed refresh-token grant, never in a URL or a message", async () => {
    let realm = "";
    const forms: URLSearchParams[] = [];
    const { host, seen } = await serve((req, url) => {
      if (req.headers.authorization !== "Bearer acc-1") {
        return { status: 401, headers: { "www-authenticate": `Bearer realm="${realm}",service="acr",scope="repository:edge/ubuntu:pull"` } };
      }
      return { status: 200 };
    });
    // The token service reads the form body: a second server, as ACR's and Docker Hub's are.
    const tokens = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const form = new URLSearchParams(body);
        forms.push(form);
        const ok = req.method === "POST" && req.headers["content-type"] === "application/x-www-form-urlencoded" && form.get("refresh_token") === "refresh-XYZ";
        res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
        res.end(ok ? JSON.stringify({ access_token: "acc-1" }) : "");
      });
    });
    servers.push(tokens);
    await new Promise<void>((resolve) => tokens.listen(0, "127.0.0.1", resolve));
    realm = `http://127.0.0.1:${(tokens.address() as AddressInfo).port}/oauth2/token`;
    const env = dockerConfig({ auths: { [host]: { auth: b64("00000000-0000-0000-0000-000000000000:"), identitytoken: "refresh-XYZ" } } });
    expect(await imageExists(`${host}/edge/ubuntu:1`, { env })).toBe(true);
    expect(Object.fromEntries(forms[0] ?? [])).toEqual({ grant_type: "refresh_token", refresh_token: "refresh-XYZ", client_id: "canvos", scope: "repository:edge/ubuntu:pull", service: "acr" });
    expect(seen.map((s) => s.auth ?? "-")).toEqual(["-", "Bearer acc-1"]);

    // Refused: the error names the registry, never the token.
    const refused = dockerConfig({ auths: { [host]: { identitytoken: "refresh-WRONG" } } });
    const error = (await imageExists(`${host}/edge/ubuntu:1`, { env: refused }).catch((e: unknown) => e)) as EnvironmentError;
    expect(error).toBeInstanceOf(EnvironmentError);
    expect(error.message).toContain("token service");
    expect(`${error.message} ${error.hint ?? ""}`).not.toContain("refresh-WRONG");
  });

  it("anonymous token (public repo): no Authorization on the token request; access_token accepted", async () => {
    let realm = "";
    const { host, seen } = await serve((req, url) => {
      if (url.pathname === "/token") return { status: 200, body: JSON.stringify({ access_token: "anon" }) };
      if (req.headers.authorization !== "Bearer anon") return { status: 401, headers: { "www-authenticate": `Bearer realm="${realm}",service="s"` } };
      return { status: 200 };
    });
    realm = `http://${host}/token`;
    expect(await imageExists(`${host}/pub/img:1`, { env: {} })).toBe(true);
    expect(seen[1]).toMatchObject({ auth: undefined });
    expect(seen[1]?.path).toContain("scope=repository%3Apub%2Fimg%3Apull");
  });

  it("Basic auth registries; refused credentials give an error that never shows the password", async () => {
    const { host } = await serve((req) =>
      req.headers.authorization === `Basic ${b64("alice:pw-right")}` ? { status: 200 } : { status: 401, headers: { "www-authenticate": 'Basic realm="reg"' } },
    );
    expect(await imageExists(`${host}/a/b:1`, { env: dockerConfig({ auths: { [host]: { auth: b64("alice:pw-right") } } }) })).toBe(true);
    const wrong = imageExists(`${host}/a/b:1`, { env: dockerConfig({ auths: { [host]: { auth: b64("alice:pw-WRONG") } } }) });
    await expect(wrong).rejects.toBeInstanceOf(EnvironmentError);
    const error = (await wrong.catch((e: unknown) => e)) as EnvironmentError;
    expect(error.message + (error.hint ?? "")).not.toContain("pw-WRONG");
    expect(error.message).toContain("not authorized");
    expect(error.hint).toContain(`docker login ${host}`);
    const anonymous = (await imageExists(`${host}/a/b:1`, { env: {} }).catch((e: unknown) => e)) as EnvironmentError;
    expect(anonymous.hint).toContain("log in first");
  });

  it("an unreachable registry is an EnvironmentError naming it", async () => {
    const { host } = await serve(() => ({ status: 200 }));
    // Closed for good (the callback), so nothing answers at that port any more.
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve).closeAllConnections())));
    await expect(imageExists(`${host}/a/b:1`, { env: {} })).rejects.toThrow(/cannot reach the registry 127\.0\.0\.1/);
  });
});

describe("Docker credentials", () => {
  it("reads auths by host whatever the key's spelling", async () => {
    const env = dockerConfig({ auths: { "https://registry.example.com/v2/": { auth: b64("u:p:with:colons") }, "https://index.docker.io/v1/": { auth: b64("hub:hubpw") } } });
    expect((await findCredentials("registry.example.com", { env })).credentials).toEqual({ username: "u", password: "p:with:colons" });
    expect((await findCredentials("docker.io", { env })).credentials).toEqual({ username: "hub", password: "hubpw" });
    expect((await findCredentials("other.example.com", { env })).credentials).toBeUndefined();
  });

  it("asks credHelpers (per host) before credsStore, through docker-credential-<name> get", async () => {
    const env = dockerConfig({ credsStore: "desktop", credHelpers: { "gcr.io": "gcloud" }, auths: { "gcr.io": {} } });
    const calls: string[] = [];
    const runHelper = async (helper: string, host: string) => {
      calls.push(`${helper} ${host}`);
      return { exitCode: 0, stdout: JSON.stringify({ ServerURL: host, Username: `${helper}-user`, Secret: "x" }), stderr: "", notFound: false, timedOut: false };
    };
    expect((await findCredentials("gcr.io", { env, runHelper })).credentials?.username).toBe("gcloud-user");
    expect((await findCredentials("docker.io", { env, runHelper })).credentials?.username).toBe("desktop-user");
    expect(calls).toEqual(["gcloud gcr.io", "desktop https://index.docker.io/v1/"]);
  });

  it("takes identity tokens from auths and from helpers answering for <token>", async () => {
    const env = dockerConfig({ auths: { "myreg.azurecr.io": { auth: b64("00000000-0000-0000-0000-000000000000:"), identitytoken: "idt" } } });
    expect((await findCredentials("myreg.azurecr.io", { env })).credentials).toEqual({ username: "", password: "", identityToken: "idt" });
    const helperEnv = dockerConfig({ credsStore: "desktop" });
    const runHelper = async () => ({ exitCode: 0, stdout: JSON.stringify({ Username: "<token>", Secret: "idt-2" }), stderr: "", notFound: false, timedOut: false });
    expect((await findCredentials("myreg.azurecr.io", { env: helperEnv, runHelper })).credentials).toEqual({ username: "", password: "", identityToken: "idt-2" });
  });

  it("a helper missing from PATH is a warning, not a crash", async () => {
    const env = { ...dockerConfig({ credsStore: "canvos-no-such-helper" }), PATH: "/nonexistent" };
    const found = await findCredentials("registry.example.com", { env });
    expect(found.credentials).toBeUndefined();
    expect(found.warning).toContain("docker-credential-canvos-no-such-helper");
  });

  it("no config or a broken one: no credentials", async () => {
    expect((await findCredentials("x.io", { env: { DOCKER_CONFIG: "/nonexistent" } })).credentials).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), "canvos-dockercfg-"));
    dirs.push(dir);
    writeFileSync(join(dir, "config.json"), "{not json");
    expect((await findCredentials("x.io", { env: { DOCKER_CONFIG: dir } })).warning).toContain("not valid JSON");
  });
});
