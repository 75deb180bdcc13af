import { spawn, spawnSync } from "node:child_process";
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

  it("lets exactly one of many runs take over the same stale lock at once", async () => {
    // Real processes, released together by a go file, each holding what it won for a moment: no
    // two may hold the lock at the same time. Several rounds, as a race shows only sometimes.
    const lockModule = join(process.cwd(), "dist", "workspace", "lock.js");
    const racer = `
      import { existsSync, appendFileSync } from "node:fs";
      const { acquireLock } = await import(${JSON.stringify(lockModule)});
      const [cwd, go, record] = process.argv.slice(1);
      while (!existsSync(go)) {}
      let lock;
      try { lock = acquireLock(cwd, "iso"); } catch (error) { appendFileSync(record, "refused " + error.constructor.name + "\\n"); process.exit(0); }
      appendFileSync(record, "in " + process.pid + "\\n");
      const until = Date.now() + 150;
      while (Date.now() < until) {}
      appendFileSync(record, "out " + process.pid + "\\n");
      lock.release();
    `;
    for (let round = 0; round < 6; round++) {
      const cwd = dir();
      mkdirSync(join(cwd, ".canvos"));
      writeFileSync(join(cwd, LOCK_FILE), JSON.stringify({ pid: spawnSync("true").pid, host: hostname(), command: "iso", started: "x" }));
      const go = join(cwd, "go");
      const record = join(cwd, "record");
      writeFileSync(record, "");
      const racers = Array.from({ length: 6 }, () =>
        new Promise<number | null>((resolve) => spawn(process.execPath, ["--input-type=module", "-e", racer, cwd, go, record], { stdio: "inherit" }).on("exit", resolve)),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      writeFileSync(go, "");
      expect(await Promise.all(racers)).toEqual([0, 0, 0, 0, 0, 0]);
      const events = readFileSync(record, "utf8").trim().split("\n");
      let holders = 0;
      for (const event of events) {
        if (event.startsWith("in ")) holders++;
        if (event.startsWith("out ")) holders--;
        expect(holders, events.join(", ")).toBeLessThanOrEqual(1);
        if (event.startsWith("refused ")) expect(event).toBe("refused EnvironmentError");
      }
      expect(events.some((e) => e.startsWith("in ")), events.join(", ")).toBe(true);
      expect(existsSync(join(cwd, LOCK_FILE))).toBe(false);
    }
  }, 30_000);

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
