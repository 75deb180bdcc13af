// Registry credentials the way Docker keeps them: ~/.docker/config.json (or $DOCKER_CONFIG),
// `auths[host].auth` (base64 user:password) or `.identitytoken`, or a credential helper
// (`credsStore`/`credHelpers`) asked through `docker-credential-<name> get`. Values found here are
// never printed.
import { readRegularFile } from "../workspace/safe-fs.js";

/** Docker's config holds a few credentials; far more is not a config file. */
const MAX_DOCKER_CONFIG = 4 * 1024 * 1024;
// A namespace import, not { z }: the bundle (scripts/bundle.mjs) then leaves out what canvos never
// uses of zod, its ~40 locales above all (760 KB of JavaScript to compile at start-up, 170 KB without).
import * as z from "zod";
import { dockerConfigFile } from "../earthly/docker-runner.js";
import { runTool, type ToolResult } from "../earthly/runner.js";
import { DOCKER_HUB } from "./reference.js";

export interface Credentials {
  username: string;
  password: string;
  /**
   * An OAuth2 refresh token in place of a password: Docker's `identitytoken` (what `az acr login`
   * and Docker Desktop's sign-in store), or a helper's answer for the user `<token>`. Traded for an
   * access token at the registry's token service; never sent as Basic.
   */
  identityToken?: string;
}

/** The user name Docker's credential helpers give with an identity token as the Secret. */
const TOKEN_USER = "<token>";

export type HelperRunner = (helper: string, host: string, env: NodeJS.ProcessEnv, cancelSignal?: AbortSignal) => Promise<ToolResult>;

export interface CredentialLookup {
  env: NodeJS.ProcessEnv;
  /** For tests: run a credential helper. Defaults to the one child-process module. */
  runHelper?: HelperRunner;
  /** A Ctrl-C: ends a hanging credential helper at once. */
  cancelSignal?: AbortSignal | undefined;
}

export interface FoundCredentials {
  credentials: Credentials | undefined;
  /** Why no credentials could be had when some were configured (never holds a secret). */
  warning?: string;
}

const dockerConfigSchema = z.object({
  auths: z.record(z.string(), z.object({ auth: z.string().optional(), username: z.string().optional(), password: z.string().optional(), identitytoken: z.string().optional() }).loose()).optional(),
  credsStore: z.string().optional(),
  credHelpers: z.record(z.string(), z.string()).optional(),
}).loose();

/** `https://index.docker.io/v1/`, `http://host:5000`, `host:5000/v2/` → the bare host Docker compares. */
function hostOf(key: string): string {
  const bare = key.replace(/^[a-z]+:\/\//i, "").split("/")[0] ?? key;
  return bare === "index.docker.io" || bare === "registry-1.docker.io" ? DOCKER_HUB : bare;
}

const defaultHelper: HelperRunner = (helper, host, env, cancelSignal) =>
  runTool(`docker-credential-${helper}`, ["get"], { env, input: host, timeoutMs: 20_000, cancelSignal });

export async function findCredentials(registry: string, lookup: CredentialLookup): Promise<FoundCredentials> {
  const configFile = dockerConfigFile(lookup.env);
  let text: string;
  try {
    text = (await readRegularFile(configFile, MAX_DOCKER_CONFIG)).toString("utf8");
  } catch {
    return { credentials: undefined };
  }
  let parsed: z.infer<typeof dockerConfigSchema>;
  try {
    const result = dockerConfigSchema.safeParse(JSON.parse(text));
    if (!result.success) return { credentials: undefined, warning: `${configFile} is not a Docker config file; asking ${registry} without credentials` };
    parsed = result.data;
  } catch {
    return { credentials: undefined, warning: `${configFile} is not valid JSON; asking ${registry} without credentials` };
  }

  const helper = Object.entries(parsed.credHelpers ?? {}).find(([key]) => hostOf(key) === registry)?.[1] ?? parsed.credsStore;
  if (helper !== undefined && helper !== "") {
    const fromHelper = await askHelper(helper, registry, lookup);
    if (fromHelper.credentials !== undefined || fromHelper.warning !== undefined) return fromHelper;
  }

  for (const [key, entry] of Object.entries(parsed.auths ?? {})) {
    if (hostOf(key) !== registry) continue;
    if (entry.identitytoken !== undefined && entry.identitytoken !== "") {
      // `auth` then holds at most the user name, which the token service does not need.
      return { credentials: { username: entry.username ?? "", password: "", identityToken: entry.identitytoken } };
    }
    if (entry.auth !== undefined && entry.auth !== "") {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon > 0) return { credentials: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) } };
      return { credentials: undefined, warning: `the auth entry for ${registry} in ${configFile} is not base64 user:password` };
    }
    if (entry.username !== undefined && entry.password !== undefined) return { credentials: { username: entry.username, password: entry.password } };
  }
  return { credentials: undefined };
}

async function askHelper(helper: string, registry: string, lookup: CredentialLookup): Promise<FoundCredentials> {
  const run = lookup.runHelper ?? defaultHelper;
  // Helpers store Docker Hub under its v1 URL.
  const server = registry === DOCKER_HUB ? "https://index.docker.io/v1/" : registry;
  const result = await run(helper, server, lookup.env, lookup.cancelSignal);
  if (result.canceled === true) return { credentials: undefined };
  if (result.notFound) return { credentials: undefined, warning: `Docker's config names the credential helper docker-credential-${helper}, which is not on PATH; asking ${registry} without credentials` };
  // "credentials not found in native keychain" is the helper's way of saying "none for this host".
  if (result.exitCode !== 0) return { credentials: undefined };
  try {
    const data = z.object({ Username: z.string(), Secret: z.string() }).parse(JSON.parse(result.stdout));
    if (data.Username === TOKEN_USER) return { credentials: { username: "", password: "", identityToken: data.Secret } };
    return { credentials: { username: data.Username, password: data.Secret } };
  } catch {
    return { credentials: undefined, warning: `docker-credential-${helper} gave an answer canvos cannot read; asking ${registry} without credentials` };
  }
}
