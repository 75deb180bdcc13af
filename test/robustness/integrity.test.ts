// What the build made, or where canvos writes, is broken: a truncated ISO, a wrong .sha256, a
// missing artifact, a missing image line, a full disk under the log, an unwritable build/. Each run
// must end in a clear error and a non-zero exit, never a reported success.
//
// How the disk problems are made, as root too (CI runs as root, where chmod stops nothing):
// - full disk: where mounting is allowed (root with CAP_SYS_ADMIN, as on CI, in a private mount
//   namespace from `unshare -m`), a 64 KiB tmpfs on build/logs, filled up before the run (every
//   write fails with ENOSPC), and one canvos fills itself. The unit tests put a LogFile on
//   /dev/full everywhere else.
// - unwritable build/: `build` is a regular file; where mounting is allowed, also a read-only bind
//   mount of build/ onto itself.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { CANVOS, canvos, workspace } from "../support/cli.js";
import { pathWithFake, writeArg } from "../support/fake-earthly.js";
import { canMount, newMarker, processesWithMarker, shellQuote, waitFor, wrapStandIn } from "./support.js";

interface Outcome {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

const ISO = "build/palette-edge-installer.iso";

/**
 * A folder of the test's own for a wrapped stand-in: `join(cwd, "..")` is the shared tmpdir, where
 * tests running in parallel overwrote each other's `earthly` wrapper (a flaky truncated-ISO case).
 */
function sideDir(): string {
  return workspace("canvos-integrity-side-");
}

function setup(): string {
  const cwd = workspace("canvos-integrity-");
  writeArg(cwd, "CUSTOM_TAG=demo\n");
  return cwd;
}

async function run(cwd: string, args: string[], env: Record<string, string> = {}, mountScript?: string): Promise<Outcome & { marker: string }> {
  const marker = newMarker();
  const fullEnv = { PATH: pathWithFake(), CANVOS_ROBUSTNESS_MARK: marker, ...env };
  const r = mountScript
    ? // A private mount namespace: the mount goes away with the run, whatever happens.
      await execa("unshare", ["-m", "sh", "-c", `${mountScript} && exec ${shellQuote(process.execPath)} ${shellQuote(CANVOS)} "$@"`, "sh", ...args], {
        cwd,
        env: { HOME: process.env["HOME"], FORCE_COLOR: "0", NO_COLOR: "1", ...fullEnv },
        extendEnv: false,
        reject: false,
      })
    : await canvos(args, { cwd, env: fullEnv });
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr), marker };
}

/** Never a success: non-zero exit, no success line, no manifest saying so. */
function expectNoSuccess(cwd: string, r: Outcome): void {
  const context = `exit ${r.exitCode}\n${r.stderr.slice(-2000)}`;
  expect(r.exitCode, context).not.toBe(0);
  expect(r.exitCode, context).toBeDefined();
  expect(r.stderr, context).not.toMatch(/succeeded in/);
  const build = join(cwd, "build");
  const manifests = existsSync(build) && statSync(build).isDirectory() ? readdirSync(build).filter((name) => /^canvos-manifest\.[a-z-]+\.json$/.test(name)) : [];
  for (const manifest of manifests) expect((JSON.parse(readFileSync(join(build, manifest), "utf8")) as { status: string }).status, context).not.toBe("succeeded");
}

/** A clear error: canvos's own words and exit code (1 build, 3 environment), no crash, nothing left. */
async function expectClearError(cwd: string, r: Outcome & { marker: string }, says: RegExp): Promise<void> {
  const context = `exit ${r.exitCode}\n${r.stderr.slice(-2000)}`;
  expectNoSuccess(cwd, r);
  expect([1, 3], context).toContain(r.exitCode);
  expect(r.stderr, context).toMatch(/^canvos: /m);
  expect(r.stderr, context).toMatch(says);
  expect(r.stderr, context).not.toMatch(/internal error|This is a bug in canvos/);
  expect(r.stderr, context).not.toMatch(/\n\s+at .*:\d+:\d+\)?\n/);
  expect(r.stderr, context).not.toMatch(/^Node\.js v\d+/m);
  expect(existsSync(join(cwd, ".canvos", "build.lock")), `lock left behind\n${context}`).toBe(false);
  await waitFor(() => processesWithMarker(r.marker).length === 0, 3_000).catch(() => undefined);
  expect(processesWithMarker(r.marker), context).toEqual([]);
}

describe("broken outputs are never a success", () => {
  it("a truncated ISO: its .sha256 no longer matches, exit 1", async () => {
    const cwd = setup();
    const bin = wrapStandIn(sideDir(), { after: `truncate -s 100000 ${ISO}` });
    const r = await run(cwd, ["iso"], { CANVOS_EARTHLY_BIN: bin });
    await expectClearError(cwd, r, /\.sha256 says [0-9a-f]{64} but build\/palette-edge-installer\.iso hashes to/);
  });

  it("a wrong .sha256: exit 1, both sums shown", async () => {
    const cwd = setup();
    const r = await run(cwd, ["iso"], { FAKE_EARTHLY_BAD_SHA: "1" });
    await expectClearError(cwd, r, /says 0{64} but/);
  });

  it("a missing ISO (and its .sha256): exit 1, each named", async () => {
    const cwd = setup();
    const r = await run(cwd, ["build-all", "--k8s-version", "1.27.2"], { FAKE_EARTHLY_NO_ISO: "1" });
    await expectClearError(cwd, r, /palette-edge-installer\.iso is missing[\s\S]*palette-edge-installer\.iso\.sha256 is missing/);
  });

  it("a missing .sha256 alone: exit 1", async () => {
    const cwd = setup();
    const bin = wrapStandIn(sideDir(), { after: `rm -f ${ISO}.sha256` });
    const r = await run(cwd, ["iso"], { CANVOS_EARTHLY_BIN: bin });
    await expectClearError(cwd, r, /palette-edge-installer\.iso\.sha256 is missing/);
  });

  it("a provider image missing from Earthly's summary: exit 1, the image named", async () => {
    const cwd = setup();
    const r = await run(cwd, ["build-all", "--k8s-version", "1.27.2,1.28.2"], { FAKE_EARTHLY_SKIP_IMAGE: "1.28.2" });
    await expectClearError(cwd, r, /image ttl\.sh\/ubuntu:k3s-1\.28\.2-v4\.3\.2-demo is not in Earthly's output summary/);
    expect(r.stderr).not.toMatch(/k3s-1\.27\.2.*is not in/);
  });
});

/**
 * A full file system under build/logs: a 64 KiB tmpfs, filled up first, so the log opens fine and
 * every write fails with ENOSPC. (It used to be a link to /dev/full planted at the log's name; canvos
 * no longer writes through links it finds, issue 14.)
 */
const FULL_LOGS = "mkdir -p build/logs && mount -t tmpfs -o size=64k tmpfs build/logs && { dd if=/dev/zero of=build/logs/.fill bs=4k 2>/dev/null; true; }";

// Were bugs: a failed write of the log threw inside readline's "line" event (an uncaught
// exception, a stack trace, the lock left behind); build/ that cannot be written ended in
// "internal error" (exit 70). Now: Earthly is stopped and the run ends in an environment error
// (exit 3) naming the log or build/, with the reason.
describe("disk problems end in a clear error", () => {
  const LINES = { FAKE_EARTHLY_LOG_LINES: "3000" }; // ~250 KiB: the log flushes mid-run

  it.skipIf(!canMount)("full disk under the log (a full tmpfs): never a success", async () => {
    const cwd = setup();
    expectNoSuccess(cwd, await run(cwd, ["iso"], LINES, FULL_LOGS));
  });

  it.skipIf(!canMount)("full disk under the log (a full tmpfs): a clear error, no crash, lock freed, Earthly stopped", async () => {
    const cwd = setup();
    const r = await run(cwd, ["iso"], LINES, FULL_LOGS);
    await expectClearError(cwd, r, /canvos: cannot write the build log .*build\/logs\/.*-iso\.log: no space left on the device \(ENOSPC\)/);
    expect(r.exitCode).toBe(3);
  });

  it.skipIf(!canMount)("full disk under the log, with a small log that fails only when closed: never a success", async () => {
    const cwd = setup();
    const r = await run(cwd, ["iso"], {}, FULL_LOGS);
    await expectClearError(cwd, r, /cannot write the build log .*ENOSPC/);
    expect(r.exitCode).toBe(3);
  });

  it.skipIf(!canMount)("full disk under the log (a real 64 KiB tmpfs): a clear error", async () => {
    const cwd = setup();
    mkdirSync(join(cwd, "build", "logs"), { recursive: true });
    const r = await run(cwd, ["iso"], LINES, "mount -t tmpfs -o size=64k tmpfs build/logs");
    expectNoSuccess(cwd, r);
    await expectClearError(cwd, r, /cannot write the build log .*ENOSPC/);
    expect(r.exitCode).toBe(3);
  });

  it("build/ is a regular file: never a success", async () => {
    const cwd = setup();
    writeFileSync(join(cwd, "build"), "not a folder\n");
    expectNoSuccess(cwd, await run(cwd, ["iso"]));
  });

  it("build/ is a regular file: a clear error naming build/, exit 3, before Earthly starts", async () => {
    const cwd = setup();
    writeFileSync(join(cwd, "build"), "not a folder\n");
    const argvLog = join(cwd, "..", `${cwd.split("/").pop()}-argv`);
    const bin = wrapStandIn(sideDir(), { argvLog });
    const r = await run(cwd, ["iso"], { CANVOS_EARTHLY_BIN: bin });
    await expectClearError(cwd, r, /canvos: cannot write to build\/ \(.*\/build\): .*\(E[A-Z]+\)/);
    expect(r.exitCode).toBe(3);
    expect(existsSync(argvLog), "Earthly was started").toBe(false);
  });

  it.skipIf(!canMount)("build/ on a read-only mount: a clear error naming build/", async () => {
    const cwd = setup();
    mkdirSync(join(cwd, "build"));
    const r = await run(cwd, ["iso"], {}, "mount --bind build build && mount -o remount,ro,bind build");
    expectNoSuccess(cwd, r);
    await expectClearError(cwd, r, /cannot write to build\/ .*read-only file system \(EROFS\)/);
    expect(r.exitCode).toBe(3);
  });

  it(".canvos is a regular file: a clear error naming the lock, exit 3", async () => {
    const cwd = setup();
    writeFileSync(join(cwd, ".canvos"), "not a folder\n");
    const r = await run(cwd, ["iso"]);
    const context = `exit ${r.exitCode}\n${r.stderr}`;
    expect(r.exitCode, context).toBe(3);
    expect(r.stderr, context).toMatch(/canvos: cannot write the workspace lock .*\.canvos\/build\.lock: .*\(E[A-Z]+\)/);
    expect(r.stderr, context).not.toMatch(/internal error|\n\s+at .*:\d+:\d+\)?\n/);
  });

  it.skipIf(!canMount)("the workspace on a read-only mount (no .canvos/ possible): a clear error, exit 3", async () => {
    const cwd = setup();
    const r = await run(cwd, ["iso"], {}, "mount --bind . . && mount -o remount,ro,bind .");
    const context = `exit ${r.exitCode}\n${r.stderr}`;
    expect(r.exitCode, context).toBe(3);
    expect(r.stderr, context).toMatch(/canvos: cannot write the workspace lock .*read-only file system \(EROFS\)/);
  });
});
