import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EnvironmentError } from "../../src/errors.js";
import { acquireLock, LOCK_FILE } from "../../src/workspace/lock.js";
import { LogFile, logPathFor } from "../../src/workspace/log-file.js";

const dir = () => mkdtempSync(join(tmpdir(), "canvos-wsunit-"));

describe("workspace lock", () => {
  it("lets one run in and refuses a second while the first holds it", () => {
    const cwd = dir();
    const lock = acquireLock(cwd, "iso");
    writeFileSync(join(cwd, LOCK_FILE), JSON.stringify({ pid: process.ppid, host: hostname(), command: "build-all", started: "2025-01-01T00:00:00Z" }));
    expect(() => acquireLock(cwd, "iso")).toThrow(EnvironmentError);
    expect(() => acquireLock(cwd, "iso")).toThrow(/another canvos run is using this workspace: `canvos build-all` \(pid \d+\)/);
    lock.release();
  });

  it("takes over a lock whose process is gone, and releases it", () => {
    const cwd = dir();
    const dead = spawnSync("true").pid;
    mkdirSync(join(cwd, ".canvos"));
    writeFileSync(join(cwd, LOCK_FILE), JSON.stringify({ pid: dead, host: hostname(), command: "iso", started: "x" }));
    const lock = acquireLock(cwd, "provider");
    expect(JSON.parse(readFileSync(join(cwd, LOCK_FILE), "utf8"))).toMatchObject({ pid: process.pid, command: "provider" });
    lock.release();
    expect(existsSync(join(cwd, LOCK_FILE))).toBe(false);
  });

  it("treats an unreadable lock as stale", () => {
    const cwd = dir();
    mkdirSync(join(cwd, ".canvos"));
    writeFileSync(join(cwd, LOCK_FILE), "garbage");
    acquireLock(cwd, "iso").release();
  });
});

describe("log file", () => {
  it("names logs by time and command, and writes every line", () => {
    expect(logPathFor("build-all", new Date("2025-01-31T09:05:07.123Z"))).toBe("build/logs/2025-01-31T09-05-07Z-build-all.log");
    const cwd = dir();
    const log = new LogFile(cwd, "build/logs/x.log");
    for (let i = 0; i < 20_000; i++) log.write(`line ${i}`);
    log.close();
    const lines = readFileSync(join(cwd, "build/logs/x.log"), "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(20_000);
    expect(lines[19_999]).toBe("line 19999");
  });
});
