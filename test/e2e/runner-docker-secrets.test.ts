// readSecrets' terminal path, driven through a fake TTY (a pseudo-terminal is not available to tests).
import { PassThrough, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { readSecrets } from "../../src/earthly/secrets.js";
import { ConfigError } from "../../src/errors.js";
import { waitFor } from "../support/wait.js";

function fakeTty(): { stdin: NodeJS.ReadStream; stderr: NodeJS.WriteStream; written: () => string } {
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin }) as unknown as NodeJS.ReadStream;
  let text = "";
  const stderr = new Writable({ write: (chunk, _enc, done) => { text += String(chunk); done(); } }) as unknown as NodeJS.WriteStream;
  return { stdin, stderr, written: () => text };
}

describe("secrets", () => {
  it("take the environment first, ask on a terminal without echoing what is typed", async () => {
    const io = fakeTty();
    const pending = readSecrets(["FROM_ENV", "TYPED"], { FROM_ENV: "env-value" }, io);
    // Typed once the prompt is up, as a user types.
    await waitFor(() => io.written().includes("TYPED (input hidden): "), 5_000, "the prompt");
    (io.stdin as unknown as PassThrough).write("typed-value\n");
    expect(await pending).toEqual({ FROM_ENV: "env-value", TYPED: "typed-value" });
    expect(io.written()).toContain("TYPED (input hidden): ");
    expect(io.written()).not.toContain("typed-value");
  });

  it("without a terminal: a ConfigError naming the variable; bad names refused", async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.ReadStream;
    const io = { stdin, stderr: process.stderr };
    await expect(readSecrets(["MISSING"], {}, io)).rejects.toThrow(ConfigError);
    await expect(readSecrets(["MISSING"], {}, io)).rejects.toThrow("the secret MISSING has no value");
    await expect(readSecrets(["bad-name"], {}, io)).rejects.toThrow("invalid --secret");
  });
});
