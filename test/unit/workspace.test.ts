import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EnvironmentError } from "../../src/errors.js";
import { acquireLock, LOCK_FILE } from "../../src/workspace/lock.js";
import { keepLogs, LogFile, logPathFor, pruneLogs } from "../../src/workspace/log-file.js";
import { workspace } from "../support/cli.js";
import { waitFor } from "../support/wait.js";

const dir = () => workspace("canvos-wsunit-");

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
      appendFileSync(record, "ready " + process.pid + "\\n");
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
      // Go once every racer waits for it (each says so), not after a time they might need more of.
      await waitFor(() => readFileSync(record, "utf8").split("\n").filter((e) => e.startsWith("ready ")).length === 6, 20_000, "the racers to start");
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
    const at = new Date("2025-01-31T09:05:07.123Z");
    expect(logPathFor("build-all", at)).toBe("build/logs/2025-01-31T09-05-07.123Z-build-all.log");
    // A name already taken gets a number that sorts after it, and after any earlier millisecond's.
    const names = [logPathFor("iso", at, 2), logPathFor("iso", at), logPathFor("iso", at, 3), logPathFor("iso", new Date(at.getTime() - 1), 2)];
    expect(names.sort()).toEqual(["build/logs/2025-01-31T09-05-07.122Z_2-iso.log", "build/logs/2025-01-31T09-05-07.123Z-iso.log", "build/logs/2025-01-31T09-05-07.123Z_2-iso.log", "build/logs/2025-01-31T09-05-07.123Z_3-iso.log"]);
    const cwd = dir();
    const log = new LogFile(cwd, () => "build/logs/x.log");
    for (let i = 0; i < 20_000; i++) log.write(`line ${i}`);
    log.close();
    const lines = readFileSync(join(cwd, "build/logs/x.log"), "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(20_000);
    expect(lines[19_999]).toBe("line 19999");
  });
});

describe("log pruning", () => {
  it("removes only canvos's own oldest logs, never the current run's, and CANVOS_KEEP_LOGS sets how many stay", () => {
    const cwd = dir();
    mkdirSync(join(cwd, "build/logs"), { recursive: true });
    const own = [
      "2024-05-01T10-00-00Z-iso.log",
      "2024-05-01T10-00-01Z-provider-0a1b2c3d.log",
      "2025-01-31T09-05-07.123Z-base.log",
      "2025-01-31T09-05-07.123Z_2-build-all.log",
      "2025-02-01T00-00-00.000Z-iso.log",
      "2025-02-02T00-00-00.000Z-vendor-base-ubuntu-fips.log",
    ];
    const others = ["notes.txt", "2024-01-01T00-00-00Z-mine.log", "keep-me.log"];
    for (const name of [...own, ...others]) writeFileSync(join(cwd, "build/logs", name), "x\n");
    expect(pruneLogs(cwd, 3, "build/logs/2024-05-01T10-00-00Z-iso.log")).toEqual(["build/logs/2024-05-01T10-00-01Z-provider-0a1b2c3d.log", "build/logs/2025-01-31T09-05-07.123Z-base.log"]);
    expect(readdirSync(join(cwd, "build/logs")).sort()).toEqual([...others, own[0], own[3], own[4], own[5]].sort());
    expect(pruneLogs(cwd, 0, "")).toEqual([]);
    rmSync(cwd, { recursive: true, force: true });
    expect(keepLogs({})).toBe(20);
    expect(keepLogs({ CANVOS_KEEP_LOGS: "5" })).toBe(5);
    expect(keepLogs({ CANVOS_KEEP_LOGS: "0" })).toBe(0);
    for (const bad of ["", "-1", "2.5", "lots"]) expect(keepLogs({ CANVOS_KEEP_LOGS: bad })).toBe(20);
  });
});
