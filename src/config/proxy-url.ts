// The one reader of proxy URLs: it decides both whether a value is a valid proxy URL and which part
// of it is secret, so nothing that validates can carry a password the masking misses. The WHATWG
// URL parser is not used for this: it accepts leading white space, `http:user:pw@host` without
// slashes and backslashes for slashes, forms whose userinfo a simpler reader would not find.
// The grammar here is the plain `scheme://[userinfo@]host[:port][/path]`; as in Go's net/url (what
// Earthly and BuildKit read proxies with) and WHATWG, the userinfo ends at the authority's last `@`.

export interface ProxyUrl {
  /** Where the secret part is (the password, or the whole userinfo when it has no `:`), if any. */
  secret: { start: number; end: number } | undefined;
}

export type ProxyUrlResult = { ok: true; url: ProxyUrl } | { ok: false; reason: string };

const SCHEME = /^https?:\/\//i;
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)$/;

export function parseProxyUrl(value: string): ProxyUrlResult {
  // Reasons name what is wrong, never the text: the value may hold a password.
  if (/^\s/.test(value)) return { ok: false, reason: "it starts with white space" };
  if (/[\s\u0000-\u001f\u007f]/.test(value)) return { ok: false, reason: "it contains white space or a control character" };
  if (value.includes("\\")) return { ok: false, reason: "it contains a backslash" };
  const scheme = SCHEME.exec(value);
  if (!scheme) return { ok: false, reason: "it must start with http:// or https://" };
  const authorityStart = scheme[0].length;
  const authorityEnd = value.slice(authorityStart).search(/[/?#]/);
  const authority = authorityEnd === -1 ? value.slice(authorityStart) : value.slice(authorityStart, authorityStart + authorityEnd);
  const at = authority.lastIndexOf("@");
  const hostPort = at === -1 ? authority : authority.slice(at + 1);
  const portAt = hostPort.startsWith("[") ? hostPort.indexOf("]:") + 1 : hostPort.lastIndexOf(":");
  const host = portAt > 0 ? hostPort.slice(0, portAt) : hostPort;
  const port = portAt > 0 ? hostPort.slice(portAt + 1) : undefined;
  if (host === "") return { ok: false, reason: "it names no host" };
  if (!HOST.test(host)) return { ok: false, reason: "its host is not a host name or IP address (a / ? or # in a password must be percent-encoded)" };
  if (port !== undefined && (!/^\d{1,5}$/.test(port) || Number(port) > 65535)) return { ok: false, reason: "its port is not a number up to 65535" };
  if (at === -1) return { ok: true, url: { secret: undefined } };
  const colon = authority.indexOf(":");
  const start = authorityStart + (colon !== -1 && colon < at ? colon + 1 : 0);
  const end = authorityStart + at;
  return { ok: true, url: { secret: end > start ? { start, end } : undefined } };
}

/** The problem with a proxy URL, for a message that must not repeat the value; undefined when valid. */
export function proxyUrlProblem(value: string): string | undefined {
  if (value === "") return undefined;
  const parsed = parseProxyUrl(value);
  return parsed.ok ? undefined : `not a proxy URL like http://user:password@proxy.example.com:3128: ${parsed.reason} (the value is not shown: it may hold a password)`;
}

/**
 * A proxy given without a scheme (proxy.example.com:3128) is an http:// one, as curl and Go's
 * ProxyFromEnvironment (what Docker, Earthly and BuildKit read proxies with) take it. Applied to
 * every source alike (arg file, flag, environment), so the build gets one spelling that every
 * tool in it reads the same way.
 */
export function withProxyScheme(value: string): string {
  // Only a bare host[:port]: anything that starts like a scheme (`http:bob:pw@host`, `ftp://`,
  // `bob:pw@host`) is left for parseProxyUrl to refuse, never guessed into a URL.
  return value === "" || /^\s/.test(value) || /^[A-Za-z][A-Za-z0-9+.-]*:(?!\d)/.test(value) ? value : `http://${value}`;
}
