// Asks a registry (Docker Registry HTTP API v2) whether an image exists. Handles both ways
// registries authenticate: a Bearer token from the realm the 401 names (with Basic credentials or
// an identity token when there are some, anonymously otherwise), and plain Basic. Credentials never
// reach a message.
import { EnvironmentError } from "../errors.js";
import { quote } from "../text.js";
import { findCredentials, type CredentialLookup, type Credentials } from "./credentials.js";
import { parseImageRef, registryScheme, type ImageRef } from "./reference.js";

/** Every manifest type a pushed image can have: multi-arch indexes and single manifests. */
export const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
].join(", ");

export interface RegistryOptions extends CredentialLookup {
  /** Credentials to use instead of Docker's config (tests, or a caller that already has them). */
  credentials?: Credentials | undefined;
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** Told once per registry when configured credentials could not be used. */
  onWarning?: (message: string) => void;
  /** The run's cancel signal (a Ctrl-C): ends every request and credential helper at once. */
  signal?: AbortSignal | undefined;
}

/** A manifest, index or image config is a few KiB: more than this is not an image's, and not read on. */
export const MAX_MANIFEST = 4 * 1024 * 1024;

/** A token response holds a token of a few KiB; a body beyond this is not one. */
export const MAX_TOKEN_RESPONSE = 1024 * 1024;

/** The body as text, read no further than `limit` bytes (undefined past it): a hostile server cannot fill memory. */
export async function readLimited(response: Response, limit: number): Promise<string | undefined> {
  return (await readLimitedBytes(response, limit))?.toString("utf8");
}

/** The body's exact bytes (a manifest, whose digest is of its bytes), no further than `limit`. */
export async function readLimitedBytes(response: Response, limit: number): Promise<Buffer | undefined> {
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** `Bearer realm="https://auth",service="registry",scope="repository:a/b:pull"` → its parts. */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let p = re.exec(m[2] ?? ""); p !== null; p = re.exec(m[2] ?? "")) params[(p[1] ?? "").toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : (p[3] ?? "");
  return { scheme: (m[1] ?? "").toLowerCase(), params };
}

function basic(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
}

export class RegistryClient {
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  /** Authorization header per registry+repository, so a run with many tags authenticates once. */
  private readonly authCache = new Map<string, string>();
  private readonly credentialCache = new Map<string, Promise<Credentials | undefined>>();

  constructor(private readonly options: RegistryOptions) {
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async imageExists(ref: string): Promise<boolean> {
    const image = parseImageRef(ref);
    const url = `${registryScheme(image.apiHost)}://${image.apiHost}/v2/${image.repository}/manifests/${encodeURIComponent(image.reference).replace(/%3A/gi, ":")}`;
    const cacheKey = `${image.apiHost}/${image.repository}`;
    let response = await this.request(url, "HEAD", this.authCache.get(cacheKey), image);
    if (response.status === 401) {
      const authorization = await this.authorize(response, image);
      if (authorization === undefined) throw this.denied(image, false);
      this.authCache.set(cacheKey, authorization);
      response = await this.request(url, "HEAD", authorization, image);
    }
    // A few registries do not answer HEAD on manifests.
    if (response.status === 405) response = await this.request(url, "GET", this.authCache.get(cacheKey), image);
    if (response.status >= 200 && response.status < 300) return true;
    if (response.status === 404) return false;
    if (response.status === 401 || response.status === 403) throw this.denied(image, (await this.credentials(image)) !== undefined);
    throw new EnvironmentError(`${image.registry} answered ${response.status} ${response.statusText} when asked for ${ref}`);
  }

  private denied(image: ImageRef, hadCredentials: boolean): EnvironmentError {
    return new EnvironmentError(
      `${image.registry} refused to say whether ${image.repository}:${image.reference} exists (not authorized)`,
      hadCredentials ? `the credentials Docker has for ${image.registry} lack pull access: run docker login ${image.registry} again` : `log in first: docker login ${image.registry}`,
    );
  }

  private async request(url: string, method: "HEAD" | "GET", authorization: string | undefined, image: ImageRef): Promise<Response> {
    const headers: Record<string, string> = { Accept: MANIFEST_ACCEPT };
    if (authorization !== undefined) headers["Authorization"] = authorization;
    return this.send(url, { method, headers }, image);
  }

  /**
   * A manifest (or index) by tag or digest, or a blob, with its body to read: the image checks
   * (src/image/) read the config and stream the layers. Not found is undefined.
   */
  async get(ref: string, what: { manifest: string } | { blob: string }, accept = MANIFEST_ACCEPT): Promise<Response | undefined> {
    const image = parseImageRef(ref);
    const path = "manifest" in what ? `manifests/${encodeURIComponent(what.manifest).replace(/%3A/gi, ":")}` : `blobs/${what.blob}`;
    const url = `${registryScheme(image.apiHost)}://${image.apiHost}/v2/${image.repository}/${path}`;
    const cacheKey = `${image.apiHost}/${image.repository}`;
    const ask = (authorization: string | undefined): Promise<Response> => {
      const headers: Record<string, string> = { Accept: accept };
      if (authorization !== undefined) headers["Authorization"] = authorization;
      return this.send(url, { method: "GET", headers }, image, true);
    };
    let response = await ask(this.authCache.get(cacheKey));
    if (response.status === 401) {
      await response.body?.cancel().catch(() => undefined);
      const authorization = await this.authorize(response, image);
      if (authorization === undefined) throw this.denied(image, false);
      this.authCache.set(cacheKey, authorization);
      response = await ask(authorization);
    }
    if (response.ok) return response;
    await response.body?.cancel().catch(() => undefined);
    if (response.status === 404) return undefined;
    if (response.status === 401 || response.status === 403) throw this.denied(image, (await this.credentials(image)) !== undefined);
    throw new EnvironmentError(`${image.registry} answered ${response.status} ${response.statusText} when asked for ${ref} (${path})`);
  }

  /**
   * Any call of the API on `image`'s repository (`path` below /v2/<repository>/, or a full URL such
   * as an upload's Location), authenticated as the registry asks: a 401 is answered once with the
   * credentials for the scope its challenge names (push needs more than pull), then the call is
   * made again. A body that is a stream cannot be sent twice: such a call must come after one
   * that authenticated (an upload's POST before its PUT). The body is the caller's to read or drop.
   */
  async call(image: ImageRef, method: string, path: string, init: { headers?: Record<string, string>; body?: RequestInit["body"]; stream?: boolean } = {}): Promise<Response> {
    const url = /^https?:\/\//.test(path) ? path : `${registryScheme(image.apiHost)}://${image.apiHost}/v2/${image.repository}/${path}`;
    const cacheKey = `${image.apiHost}/${image.repository}`;
    const ask = (authorization: string | undefined): Promise<Response> => {
      const headers: Record<string, string> = { ...init.headers };
      if (authorization !== undefined) headers["Authorization"] = authorization;
      const request: RequestInit & { duplex?: "half" } = { method, headers };
      if (init.body !== undefined) request.body = init.body;
      if (init.stream === true) request.duplex = "half";
      return this.send(url, request, image, true);
    };
    let response = await ask(this.authCache.get(cacheKey));
    if (response.status === 401 && init.stream !== true) {
      await response.body?.cancel().catch(() => undefined);
      const authorization = await this.authorize(response, image);
      if (authorization === undefined) throw this.denied(image, false);
      this.authCache.set(cacheKey, authorization);
      response = await ask(authorization);
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel().catch(() => undefined);
      const had = (await this.credentials(image)) !== undefined;
      throw new EnvironmentError(
        `${image.registry} refused ${method} on ${image.repository} (not authorized)`,
        had ? `the credentials Docker has for ${image.registry} lack that access: run docker login ${image.registry} again` : `log in first: docker login ${image.registry}`,
      );
    }
    return response;
  }

  private async send(url: string, init: RequestInit, image: ImageRef, keepBody = false): Promise<Response> {
    try {
      // A body that is read (a layer blob) can take minutes: no overall time limit on it, but the
      // run's cancel signal still ends it.
      const timeout = keepBody ? undefined : AbortSignal.timeout(this.timeoutMs);
      const signals = [timeout, this.options.signal].filter((s): s is AbortSignal => s !== undefined);
      const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
      const response = await this.fetchImpl(url, { ...init, redirect: "follow", signal });
      // The body is never needed beyond the token; drop it so the connection is freed.
      if (!keepBody && init.method === "GET" && !url.includes("/token") && response.body) await response.body.cancel().catch(() => undefined);
      return response;
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new EnvironmentError(`cannot reach the registry ${image.registry} (${new URL(url).origin}): ${why}`, `check the registry address and the network (proxy: HTTPS_PROXY)`);
    }
  }

  private credentials(image: ImageRef): Promise<Credentials | undefined> {
    if (this.options.credentials !== undefined) return Promise.resolve(this.options.credentials);
    let found = this.credentialCache.get(image.registry);
    if (!found) {
      found = findCredentials(image.registry, { ...this.options, cancelSignal: this.options.signal }).then((result) => {
        if (result.warning !== undefined) this.options.onWarning?.(result.warning);
        return result.credentials;
      });
      this.credentialCache.set(image.registry, found);
    }
    return found;
  }

  private async authorize(response: Response, image: ImageRef): Promise<string | undefined> {
    const challenge = parseChallenge(response.headers.get("www-authenticate") ?? "");
    let credentials = await this.credentials(image);
    // An identity token is no password: a registry that asks for Basic cannot take it.
    if (challenge?.scheme === "basic") return credentials && credentials.identityToken === undefined ? basic(credentials) : undefined;
    if (challenge?.scheme !== "bearer" || challenge.params["realm"] === undefined) return undefined;
    const tokenUrl = URL.canParse(challenge.params["realm"]) ? new URL(challenge.params["realm"]) : undefined;
    // Only a web address is followed: a realm of file:, data: or anything else is no token service.
    if (tokenUrl === undefined || (tokenUrl.protocol !== "https:" && tokenUrl.protocol !== "http:")) {
      throw new EnvironmentError(`${image.registry} named a token service that is not an http(s) address (its WWW-Authenticate realm is ${quote(challenge.params["realm"], 60)})`, "check the registry address; a registry behind a proxy or load balancer may be misconfigured");
    }
    // Credentials cross the network in clear text over plain HTTP: only to the registry's own host,
    // never to a token service elsewhere that the registry's answer names.
    if (credentials !== undefined && tokenUrl.protocol === "http:" && tokenUrl.hostname !== new URL(`http://${image.apiHost}`).hostname) {
      this.options.onWarning?.(`${image.registry} sends canvos to a token service over plain HTTP on another host (${tokenUrl.hostname}); canvos asks it without credentials rather than send them in clear text`);
      credentials = undefined;
    }
    const service = challenge.params["service"];
    const scope = challenge.params["scope"] ?? `repository:${image.repository}:pull`;
    let tokenResponse: Response;
    if (credentials?.identityToken !== undefined) {
      // OAuth2's refresh-token grant, as Docker trades an identity token: a POSTed form, so the
      // token is in no URL.
      const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: credentials.identityToken, client_id: "canvos", scope, ...(service !== undefined ? { service } : {}) });
      tokenResponse = await this.send(tokenUrl.toString(), { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: form.toString() }, image);
    } else {
      if (service !== undefined) tokenUrl.searchParams.set("service", service);
      tokenUrl.searchParams.set("scope", scope);
      const headers: Record<string, string> = {};
      if (credentials) headers["Authorization"] = basic(credentials);
      tokenResponse = await this.send(tokenUrl.toString(), { method: "GET", headers }, image);
    }
    if (tokenResponse.status === 401 || tokenResponse.status === 403) {
      await tokenResponse.body?.cancel().catch(() => undefined);
      throw new EnvironmentError(
        `${image.registry}'s token service (${tokenUrl.origin}) refused ${credentials ? "the credentials Docker has for it" : "an anonymous request"}`,
        credentials ? `run docker login ${image.registry} again` : `log in first: docker login ${image.registry}`,
      );
    }
    if (!tokenResponse.ok) throw new EnvironmentError(`${image.registry}'s token service (${tokenUrl.origin}) answered ${tokenResponse.status}`);
    let body: unknown;
    const text = await readLimited(tokenResponse, MAX_TOKEN_RESPONSE);
    if (text === undefined) throw new EnvironmentError(`${image.registry}'s token service (${tokenUrl.origin}) answered with more than ${MAX_TOKEN_RESPONSE / 1048576} MiB; a token is a few KiB`);
    try {
      body = JSON.parse(text);
    } catch {
      throw new EnvironmentError(`${image.registry}'s token service (${tokenUrl.origin}) did not answer with JSON`);
    }
    const token = (body as { token?: unknown; access_token?: unknown } | null)?.token ?? (body as { access_token?: unknown } | null)?.access_token;
    if (typeof token !== "string" || token === "") throw new EnvironmentError(`${image.registry}'s token service (${tokenUrl.origin}) gave no token`);
    return `Bearer ${token}`;
  }
}

/** One question, one answer: is `ref` in its registry? */
export function imageExists(ref: string, options: RegistryOptions): Promise<boolean> {
  return new RegistryClient(options).imageExists(ref);
}
