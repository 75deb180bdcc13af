import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { exitZeroElf, singleFileTar } from "../../src/doctor/probe-image.js";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const hostArch = process.arch === "x64" ? "amd64" : process.arch;

describe("doctor's probe image", () => {
  it.skipIf(hostArch !== "amd64" && hostArch !== "arm64")("the program runs and exits 0 on this machine", () => {
    const dir = mkdtempSync(join(tmpdir(), "canvos-probe-"));
    dirs.push(dir);
    const file = join(dir, "true");
    writeFileSync(file, exitZeroElf(hostArch) as Buffer);
    chmodSync(file, 0o755);
    expect(spawnSync(file).status).toBe(0);
  });

  it("the tar holds one executable file that tar itself reads back", () => {
    const dir = mkdtempSync(join(tmpdir(), "canvos-probe-"));
    dirs.push(dir);
    const content = exitZeroElf("arm64") as Buffer;
    writeFileSync(join(dir, "p.tar"), singleFileTar("true", content));
    const listing = execFileSync("tar", ["-tvf", join(dir, "p.tar")], { encoding: "utf8" });
    expect(listing).toMatch(new RegExp(`^-rwxr-xr-x .* ${content.length} .* true$`, "m"));
    expect(exitZeroElf("s390x")).toBeUndefined();
  });
});
