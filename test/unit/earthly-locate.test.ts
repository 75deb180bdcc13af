import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EnvironmentError } from "../../src/errors.js";
import { checkPassThrough } from "../../src/earthly/args.js";
import { locateEarthly } from "../../src/earthly/locate.js";
import { childEnv } from "../../src/earthly/runner.js";
import { workspace } from "../support/cli.js";

function binDir(...names: string[]): string {
  const dir = workspace("canvos-bin-");
  for (const name of names) {
    writeFileSync(join(dir, name), "#!/bin/sh\n");
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

describe("locateEarthly", () => {
  it("prefers --earthly-bin, then CANVOS_EARTHLY_BIN, then PATH", () => {
    const a = binDir("earthly");
    const b = binDir("my-earthly");
    const env = { PATH: a, CANVOS_EARTHLY_BIN: join(b, "my-earthly") };
    expect(locateEarthly({ env, cwd: "/" })).toEqual({ path: join(b, "my-earthly"), from: "CANVOS_EARTHLY_BIN" });
    expect(locateEarthly({ flag: join(a, "earthly"), env, cwd: "/" })).toEqual({ path: join(a, "earthly"), from: "--earthly-bin" });
    expect(locateEarthly({ env: { PATH: a }, cwd: "/" })).toEqual({ path: join(a, "earthly"), from: "PATH" });
  });

  it("accepts the community fork's `earth` when `earthly` is absent", () => {
    const dir = binDir("earth");
    expect(locateEarthly({ env: { PATH: `/nonexistent:${dir}` }, cwd: "/" }).path).toBe(join(dir, "earth"));
  });

  it("says what to install when nothing is found, or a named binary is missing", () => {
    const empty = workspace("canvos-bin-");
    mkdirSync(join(empty, "earthly"));
    expect(() => locateEarthly({ env: { PATH: empty }, cwd: "/" })).toThrow(EnvironmentError);
    expect(() => locateEarthly({ env: { PATH: empty }, cwd: "/" })).toThrow(/Earthly was not found/);
    expect(() => locateEarthly({ flag: "./nope", env: {}, cwd: empty })).toThrow(/--earthly-bin \(\.\/nope\) does not exist/);
  });
});

describe("what Earthly receives", () => {
  it("drops environment variables that would add build args behind canvos's back", () => {
    expect(childEnv({ PATH: "/bin", EARTHLY_BUILD_ARGS: "A=1", EARTHLY_ARG_FILE_PATH: ".arg", EARTHLY_BUILDKIT_HOST: "tcp://x" })).toEqual({ PATH: "/bin", EARTHLY_BUILDKIT_HOST: "tcp://x" });
  });

  it("refuses pass-through flags canvos owns, and non-flags", () => {
    expect(() => checkPassThrough(["--strict", "--platform=linux/arm64"])).not.toThrow();
    expect(() => checkPassThrough(["--arg-file-path=x"])).toThrow(/invalid Earthly pass-through/);
    expect(() => checkPassThrough(["strict"])).toThrow();
  });
});
