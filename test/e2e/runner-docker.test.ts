// The docker runner's exact `docker run` (and helper) commands, through a recording stand-in
// docker (test/bin/docker) that runs the stand-in Earthly as the "container".
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canvos, workspace } from "../support/cli.js";
import { earthlyHold, pathWithFake, writeArg } from "../support/fake-earthly.js";

const ARG = "IMAGE_REGISTRY=ttl.sh\nCUSTOM_TAG=demo\n";
const IMAGE = "gcr.io/spectro-images-public/earthly/earthly:v0.8.5";
/** A self-signed CA (EC P-256, valid for a century), so the test needs no openssl on the machine. */
const TEST_CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBljCCATugAwIBAgIUM9ylYfMo92n2d7jyQl+ac2dvhcowCgYIKoZIzj0EAwIw
HzEdMBsGA1UEAwwUY2Fudm9zIHRlc3QgcHJveHkgQ0EwIBcNMjYxMTI1MjExODE2
WhgPMjEyNjExMDEyMTE4MTZaMB8xHTAbBgNVBAMMFGNhbnZvcyB0ZXN0IHByb3h5
IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE7vCu3ZHMcDWjQaNdhDPHvjF3
GvMvvm0jGcLBZxd5UcDWMkFWqVItNGJ9Y/p3QoL+LPK+AU6G+2MC42lWbNEL06NT
MFEwHQYDVR0OBBYEFIzUhtL4f64O0BbfivtAFfGTWdoRMB8GA1UdIwQYMBaAFIzU
htL4f64O0BbfivtAFfGTWdoRMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwID
SQAwRgIhAJBYyrVch0DfarIapFFhC7Nr55PP/LaXyY5ACLokMKDnAiEAr9Xpq+1V
BCx1r/GnGC8CbBVZ7ThsSvtENalWkCNN8nY=
-----END CERTIFICATE-----
`;

interface Call {
  argv: string[];
  env: Record<string, string>;
}

function setup(options: { dockerConfig?: boolean } = {}) {
  const cwd = workspace();
  writeArg(cwd, ARG);
  const home = workspace("canvos-home-");
  if (options.dockerConfig) {
    mkdirSync(join(home, ".docker"));
    writeFileSync(join(home, ".docker", "config.json"), "{}");
  }
  const log = join(workspace("canvos-dockerlog-"), "calls.jsonl");
  const env = (extra: Record<string, string> = {}) => ({ PATH: pathWithFake(), HOME: home, FAKE_DOCKER_LOG: log, ...extra });
  // Only complete lines: the stand-in may be appending one while a test polls the file.
  const calls = (): Call[] => (existsSync(log) ? readFileSync(log, "utf8").split("\n").slice(0, -1).map((l) => JSON.parse(l) as Call) : []);
  const earthlyRun = (): Call | undefined => calls().find((c) => c.argv[0] === "run" && c.argv.includes(IMAGE) && !c.argv.includes("--version"));
  return { cwd, home, log, env, calls, earthlyRun };
}

function everything(cwd: string, r: { stdout: string; stderr: string }, calls: Call[]): string {
  const logs = existsSync(join(cwd, "build", "logs")) ? readdirSync(join(cwd, "build", "logs")).map((f) => readFileSync(join(cwd, "build", "logs", f), "utf8")).join("\n") : "";
  const build = join(cwd, "build");
  const manifest = existsSync(build) ? readdirSync(build).filter((name) => name.startsWith("canvos-manifest.")).map((name) => readFileSync(join(build, name), "utf8")).join("\n") : "";
  return [r.stdout, r.stderr, logs, manifest, ...calls.map((c) => c.argv.join(" "))].join("\n");
}

describe("--runner docker", () => {
  it("runs Earthly's image with exactly the reference's mounts, a name, analytics off, and the secret as -e NAME", async () => {
    const { cwd, home, env, calls, earthlyRun } = setup();
    const r = await canvos(["iso", "--runner", "docker", "--secret", "MY_TOKEN"], { cwd, env: env({ MY_TOKEN: "s3cr3t-value-42" }) });
    expect(r.stderr).toContain("succeeded");
    expect(r.exitCode).toBe(0);
    const run = earthlyRun();
    expect(run).toBeDefined();
    const argv = run?.argv ?? [];
    const name = argv[argv.indexOf("--name") + 1] ?? "";
    expect(name).toMatch(/^canvos-earthly-[0-9a-f]{8}$/);
    const imageAt = argv.indexOf(IMAGE);
    expect(argv.slice(0, imageAt)).toEqual([
      "run", "--rm", "--privileged", "--name", name,
      "-v", "/var/run/docker.sock:/var/run/docker.sock",
      "-v", `${cwd}:/workspace`, "-w", "/workspace",
      "-v", "earthly-tmp:/tmp/earthly",
      "-e", "GLOBAL_CONFIG={disable_analytics: true}",
      "-e", "MY_TOKEN",
    ]);
    // No ~/.docker/config.json here: no mount (Docker would create a directory in its place).
    expect(argv.join(" ")).not.toContain(".docker/config.json");
    expect(argv.slice(imageAt + 1, imageAt + 7)).toEqual(["--allow-privileged", "--arg-file-path=.canvos/build.arg", "--secret-file-path=.canvos/build.secret", "--env-file-path=.canvos/build.env", "--secret", "MY_TOKEN"]);
    expect(argv[imageAt + 7]).toBe("+iso");
    // The value reached the container through the docker CLI's environment only.
    expect(run?.env["MY_TOKEN"]).toBe("s3cr3t-value-42");
    expect(everything(cwd, r, calls())).not.toContain("s3cr3t-value-42");
    expect(existsSync(join(cwd, "build", "palette-edge-installer.iso"))).toBe(true);
    expect(existsSync(join(home, ".docker"))).toBe(false);
  });

  it("mounts ~/.docker/config.json read-only when it exists", async () => {
    const { cwd, home, env, earthlyRun } = setup({ dockerConfig: true });
    const r = await canvos(["iso", "--runner", "docker"], { cwd, env: env() });
    expect(r.exitCode).toBe(0);
    const argv = earthlyRun()?.argv ?? [];
    const at = argv.indexOf(`${home}/.docker/config.json:/root/.docker/config.json:ro`);
    expect(at).toBeGreaterThan(0);
    expect(argv[at - 1]).toBe("-v");
  });

  it("auto picks Docker when no Earthly is installed; --earthly-image and SPECTRO_PUB_REPO choose the image", async () => {
    const { cwd, env, calls } = setup();
    // PATH with the stand-in docker but no Earthly at all.
    const noEarthly = workspace("canvos-bin-");
    symlinkSync(join(process.cwd(), "test", "bin", "docker"), join(noEarthly, "docker"));
    const r = await canvos(["iso", "--SPECTRO_PUB_REPO=mirror.example.com/spectro"], { cwd, env: env({ PATH: `${noEarthly}:/usr/bin:/bin`, FAKE_DOCKER_EARTHLY_IMAGE: "mirror.example.com/spectro/earthly/earthly:v0.8.5" }) });
    expect(r.exitCode).toBe(0);
    expect(calls().some((c) => c.argv[0] === "run" && c.argv.includes("mirror.example.com/spectro/earthly/earthly:v0.8.5"))).toBe(true);
  });

  it("--ci keeps local outputs (--ci --output); --buildkit-host and --remote-cache pass through", async () => {
    const { cwd, env, earthlyRun } = setup();
    const r = await canvos(["iso", "--runner", "docker", "--ci", "--buildkit-host", "tcp://bk.example.com:8372", "--remote-cache", "registry.example.com/cache:iso"], { cwd, env: env() });
    expect(r.exitCode).toBe(0);
    const argv = earthlyRun()?.argv ?? [];
    const flags = argv.slice(argv.indexOf(IMAGE) + 1, argv.indexOf("+iso"));
    expect(flags).toEqual(["--allow-privileged", "--arg-file-path=.canvos/build.arg", "--secret-file-path=.canvos/build.secret", "--env-file-path=.canvos/build.env", "--ci", "--output", "--buildkit-host", "tcp://bk.example.com:8372", "--remote-cache", "registry.example.com/cache:iso"]);
    // A remote BuildKit: the image must not start its own.
    expect(argv).toContain("NO_BUILDKIT=1");
    expect(existsSync(join(cwd, "build", "palette-edge-installer.iso"))).toBe(true);
  });

  it("Ctrl-C stops the container by name (docker kill --signal=INT), exit 130", async () => {
    const { cwd, env, calls, earthlyRun } = setup();
    const hold = earthlyHold();
    const run = canvos(["iso", "--runner", "docker"], { cwd, env: env(hold.env) });
    const nameOf = (): string => {
      const argv = earthlyRun()?.argv ?? [];
      return argv[argv.indexOf("--name") + 1] ?? "";
    };
    // The "container" (the stand-in Earthly the stand-in docker runs) waits in its hold, so it is
    // running, with its signal handlers, when Ctrl-C comes.
    await hold.reached();
    run.kill("SIGINT");
    const r = await run;
    expect(r.exitCode).toBe(130);
    expect(calls().map((c) => c.argv.join(" "))).toContain(`kill --signal=INT ${nameOf()}`);
  }, 60_000);

  it("Ctrl-C in proxy mode also removes the BuildKit helper", async () => {
    const { cwd, env, calls } = setup();
    writeFileSync(join(cwd, ".arg"), `${ARG}HTTP_PROXY=http://proxy.example.com:3128\n`);
    const hold = earthlyHold();
    const run = canvos(["iso", "--runner", "docker"], { cwd, env: env(hold.env) });
    await hold.reached();
    run.kill("SIGINT");
    const r = await run;
    expect(r.exitCode).toBe(130);
    const helper = calls().find((c) => c.argv[0] === "run" && c.argv.includes("-d"));
    const name = helper?.argv[helper.argv.indexOf("--name") + 1] ?? "";
    expect(calls().map((c) => c.argv.join(" ")).pop()).toBe(`rm -f ${name}`);
  }, 60_000);

  it("a secret with no value and no terminal: exit 2, the name said, nothing run", async () => {
    const { cwd, env, calls } = setup();
    const r = await canvos(["iso", "--runner", "docker", "--secret", "SUBSCRIPTION_TOKEN"], { cwd, env: env() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("the secret SUBSCRIPTION_TOKEN has no value");
    expect(calls().some((c) => c.argv.includes("+iso"))).toBe(false);
  });
});

describe("proxy mode", () => {
  it("starts a BuildKit helper with the proxy variables (values only in the environment), points Earthly at it, removes it after", async () => {
    const { cwd, env, calls, earthlyRun } = setup();
    writeFileSync(join(cwd, ".arg"), `${ARG}HTTPS_PROXY=http://bob:hunter2@proxy.example.com:3128\nNO_PROXY=localhost\n`);
    const r = await canvos(["iso", "--runner", "docker"], { cwd, env: env() });
    expect(r.exitCode).toBe(0);
    const lines = calls().map((c) => c.argv.join(" "));
    const helperRun = calls().find((c) => c.argv[0] === "run" && c.argv.includes("-d"));
    const name = helperRun?.argv[helperRun.argv.indexOf("--name") + 1] ?? "";
    expect(name).toMatch(/^canvos-buildkitd-[0-9a-f]{10}$/);
    expect(helperRun?.argv).toEqual([
      "run", "-d", "--privileged", "--name", name, "--label", "canvos.helper=buildkitd", "-v", "earthly-tmp:/tmp/earthly:rw",
      "-e", "BUILDKIT_TCP_TRANSPORT_ENABLED=true", "-e", "BUILDKIT_TLS_ENABLED=false", "-p", "127.0.0.1::8372",
      "-e", "HTTPS_PROXY", "-e", "https_proxy", "-e", "NO_PROXY", "-e", "no_proxy",
      "gcr.io/spectro-images-public/earthly/buildkitd:v0.8.5",
    ]);
    expect(helperRun?.env["HTTPS_PROXY"]).toBe("http://bob:hunter2@proxy.example.com:3128");
    // A leftover from an earlier run is removed first; the helper is removed after.
    expect(lines.indexOf(`rm -f ${name}`)).toBeLessThan(lines.indexOf(helperRun?.argv.join(" ") ?? ""));
    expect(lines[lines.length - 1]).toBe(`rm -f ${name}`);
    // Earthly joins the helper's network and talks to it as a remote BuildKit, without TLS.
    const argv = earthlyRun()?.argv ?? [];
    expect(argv.slice(argv.indexOf("--network"), argv.indexOf("--network") + 2)).toEqual(["--network", `container:${name}`]);
    expect(argv).toContain("EARTHLY_BUILDKIT_HOST=tcp://0.0.0.0:8372");
    expect(argv).toContain("NO_BUILDKIT=1");
    expect(argv).toContain("GLOBAL_CONFIG={disable_analytics: true, tls_enabled: false}");
    // The helper's command line carries names only. (Earthly's own argv still carries proxy build
    // args as --KEY=value: a known limit of the plan, reported separately.)
    expect(helperRun?.argv.join(" ")).not.toContain("hunter2");
    expect(r.stdout + r.stderr).not.toContain("hunter2");
  });

  it("a helper left over from an earlier run (same workspace) is removed, not tripped over", async () => {
    const { cwd, log, env, calls } = setup();
    writeFileSync(join(cwd, ".arg"), `${ARG}HTTP_PROXY=http://proxy.example.com:3128\n`);
    const name = `canvos-buildkitd-${createHash("sha256").update(cwd).digest("hex").slice(0, 10)}`;
    // The stand-in docker refuses `run -d --name` for a name it knows, as Docker does.
    mkdirSync(join(log, ".."), { recursive: true });
    writeFileSync(join(log, "..", `${name}.pid`), "helper");
    const r = await canvos(["iso", "--runner", "docker"], { cwd, env: env() });
    expect(r.exitCode).toBe(0);
    const lines = calls().map((c) => c.argv.join(" "));
    expect(lines.indexOf(`rm -f ${name}`)).toBeLessThan(lines.findIndex((l) => l.startsWith(`run -d --privileged --name ${name}`)));
  });

  it("a helper that cannot start: exit 3 with Docker's reason, nothing left behind", async () => {
    const { cwd, env, calls } = setup();
    writeFileSync(join(cwd, ".arg"), `${ARG}HTTP_PROXY=http://proxy.example.com:3128\n`);
    const r = await canvos(["iso", "--runner", "docker"], { cwd, env: env({ FAKE_DOCKER_FAIL_RUN_D: "failed to create shim task: unable to apply caps: operation not permitted" }) });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain("cannot start the BuildKit helper container for proxy mode");
    expect(r.stderr).toContain("unable to apply caps: operation not permitted");
    expect(calls().some((c) => c.argv.includes("+iso"))).toBe(false);
    expect(calls().map((c) => c.argv[0]).pop()).toBe("rm");
  });

  it("removes the helper after a failed build too, and installs the CA certificate", async () => {
    const { cwd, env, calls } = setup();
    writeFileSync(join(cwd, "proxy.pem"), TEST_CA_PEM);
    writeFileSync(join(cwd, ".arg"), `${ARG}HTTP_PROXY=http://proxy.example.com:3128\n`);
    const r = await canvos(["iso", "--runner", "docker", "--PROXY_CERT_PATH=proxy.pem"], { cwd, env: env({ FAKE_EARTHLY_FAIL: "+iso" }) });
    const lines = calls().map((c) => c.argv.join(" "));
    expect(r.exitCode).toBe(1);
    const helperRun = calls().find((c) => c.argv[0] === "run" && c.argv.includes("-d"));
    const name = helperRun?.argv[helperRun.argv.indexOf("--name") + 1] ?? "";
    expect(helperRun?.argv).toContain(`${cwd}/proxy.pem:/usr/local/share/ca-certificates/canvos-proxy.crt:ro`);
    expect(lines).toContain(`exec ${name} update-ca-certificates`);
    expect(lines[lines.length - 1]).toBe(`rm -f ${name}`);
  });
});

describe("--runner native", () => {
  it("a secret reaches Earthly as --secret NAME with the value only in its environment; proxy mode points it at the helper", async () => {
    const { cwd, env, calls } = setup();
    writeFileSync(join(cwd, ".arg"), `${ARG}HTTP_PROXY=http://proxy.example.com:3128\n`);
    const bin = workspace("canvos-nativebin-");
    const dump = join(bin, "seen.txt");
    writeFileSync(join(bin, "earthly"), `#!/bin/sh\n[ "$1" = "--version" ] || printf '%s|%s|%s' "$MY_TOKEN" "$EARTHLY_BUILDKIT_HOST" "$*" > "${dump}"\n[ "$1" = "--version" ] || echo "             +iso | the token is $MY_TOKEN" >&2\nexec "${join(process.cwd(), "test", "bin", "earthly")}" "$@"\n`, { mode: 0o755 });
    const r = await canvos(["iso", "--runner", "native", "--secret", "MY_TOKEN"], { cwd, env: env({ PATH: `${bin}:${pathWithFake()}`, MY_TOKEN: "native-s3cr3t" }) });
    expect(r.exitCode).toBe(0);
    const [value, host, argv] = readFileSync(dump, "utf8").split("|");
    expect(value).toBe("native-s3cr3t");
    expect(argv).toContain("--secret MY_TOKEN +iso");
    expect(argv).not.toContain("native-s3cr3t");
    const helper = calls().find((c) => c.argv[0] === "run" && c.argv.includes("-d"));
    expect(helper).toBeDefined();
    // The port the stand-in docker says the helper got on 127.0.0.1.
    expect(host).toBe("tcp://0.0.0.0:49321");
    // Earthly printing the value (an Earthfile that echoes it) does not put it in the log.
    const all = everything(cwd, r, calls());
    expect(all).toContain("the token is ****");
    expect(all).not.toContain("native-s3cr3t");
  });
});
