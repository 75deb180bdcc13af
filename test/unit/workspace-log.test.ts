import { readFileSync, openSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LogFile } from "../../src/workspace/log-file.js";
import { workspace } from "../support/cli.js";

const dir = () => workspace("canvos-logunit-");

describe("LogFile", () => {
  it("keeps canvos's lines and Earthly's bytes complete and in order, small and large writes mixed", () => {
    const cwd = dir();
    const log = new LogFile(cwd, () => "build/logs/x.log");
    const expected: string[] = [];
    for (let i = 0; i < 3000; i++) {
      if (i % 100 === 0) {
        log.write(`# note ${i}`);
        expected.push(`# note ${i}\n`);
      }
      // From a few bytes to more than the 64 KiB buffer.
      const text = `${`line ${i} `.repeat(i % 17 === 0 ? 9000 : 1 + (i % 5))}\n`;
      log.writeBytes(Buffer.from(text));
      expected.push(text);
    }
    log.write(`# ${"long ".repeat(20_000)}`);
    expected.push(`# ${"long ".repeat(20_000)}\n`);
    log.close();
    expect(log.error).toBeUndefined();
    expect(readFileSync(join(cwd, "build/logs/x.log"), "utf8")).toBe(expected.join(""));
  });

  it("records a full disk (ENOSPC) in `error` instead of throwing, and stops writing", () => {
    const cwd = dir();
    mkdirSync(join(cwd, "build/logs"), { recursive: true });
    const log = new LogFile(cwd, () => "build/logs/full.log", () => openSync("/dev/full", "w"));
    expect(() => {
      for (let i = 0; i < 100; i++) log.writeBytes(Buffer.alloc(40_000, 0x61));
      log.write("# more");
    }).not.toThrow();
    expect(log.error).toBeInstanceOf(Error);
    expect((log.error as NodeJS.ErrnoException).code).toBe("ENOSPC");
    const first = log.error;
    log.writeBytes(Buffer.alloc(100_000));
    expect(() => log.close()).not.toThrow();
    expect(log.error).toBe(first);
  });

  it("reports an error that only the final flush meets, from close(), without throwing", () => {
    const cwd = dir();
    mkdirSync(join(cwd, "build/logs"), { recursive: true });
    const log = new LogFile(cwd, () => "build/logs/full.log", () => openSync("/dev/full", "w"));
    log.write("# one short line stays in the buffer");
    expect(log.error).toBeUndefined();
    expect(() => log.close()).not.toThrow();
    expect((log.error as NodeJS.ErrnoException | undefined)?.code).toBe("ENOSPC");
    expect(() => log.close()).not.toThrow();
  });
});
