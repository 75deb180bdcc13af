// Output that cannot be written. A reader that goes away early (`canvos versions | head -1`, a
// pager quit at once) must not turn into a crash: before, the first write after it threw EPIPE
// uncaught (stack trace, exit 1), and a build died at its first progress line with an empty log.
// The reader here closes its end before canvos writes anything, so every write meets a closed
// pipe. Output that is lost otherwise (a full disk under `> profile.yaml`) is exit 3, said plainly.
import { spawnSync } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { CANVOS, workspace } from "../support/cli.js";
import { pathWithFake, writeArg } from "../support/fake-earthly.js";

/** Runs canvos with `streams` going into a pipe whose reader has gone; canvos's exit code and the rest of its stderr. */
async function intoClosedPipe(args: readonly string[], cwd: string, streams: "stdout" | "both"): Promise<{ status: string; stderr: string }> {
  const redirect = streams === "both" ? "2>&1" : "";
  const script = `"$0" "$@" ${redirect} | (exec 0<&-; sleep 1); echo "status \${PIPESTATUS[0]}" >&2`;
  const run = await execa("bash", ["-c", script, process.execPath, CANVOS, ...args], {
    cwd,
    env: { PATH: pathWithFake(), HOME: process.env["HOME"], NO_COLOR: "1" },
    extendEnv: false,
    reject: false,
  });
  const lines = run.stderr.trimEnd().split("\n");
  return { status: lines.at(-1) ?? "", stderr: lines.slice(0, -1).join("\n") };
}

describe("a reader that went away", () => {
  it("help, --version and versions end quietly with exit 0", async () => {
    const cwd = workspace();
    for (const args of [["--help"], ["--version"], ["versions"], ["iso", "--help"]]) {
      const run = await intoClosedPipe(args, cwd, "stdout");
      expect(run.status, args.join(" ")).toBe("status 0");
      expect(run.stderr, args.join(" ")).toBe("");
    }
  });

  it("a build whose progress nobody reads still builds, logs everything and exits 0", async () => {
    const cwd = workspace();
    writeArg(cwd, "CUSTOM_TAG=demo\n");
    const run = await intoClosedPipe(["iso"], cwd, "both");
    expect(run.status).toBe("status 0");
    const logs = readdirSync(join(cwd, "build", "logs"));
    expect(logs).toHaveLength(1);
    const log = readFileSync(join(cwd, "build", "logs", logs[0] ?? ""), "utf8");
    expect(log).toContain("Earthly Build");
    expect(log).toMatch(/^# earthly version /m);
    expect(JSON.parse(readFileSync(join(cwd, "build", "canvos-manifest.iso.json"), "utf8"))).toMatchObject({ status: "succeeded" });
  });

  it("an invalid configuration keeps its own exit code, 2", async () => {
    const cwd = workspace();
    writeArg(cwd, "CUSTOM_TAG=demo\n");
    const run = await intoClosedPipe(["iso", "--dry-run", "--arch", "sparc"], cwd, "both");
    expect(run.status).toBe("status 2");
  });
});

describe("standard output on a full disk", () => {
  it("is exit 3 with the reason, for a listing and for a build whose profile snippet is lost", async () => {
    const cwd = workspace();
    writeArg(cwd, "CUSTOM_TAG=demo\n");
    // canvos's own stdout is /dev/full (an fd of its own, not a pipe that execa would write on).
    const full = openSync("/dev/full", "w");
    const run = (args: string[]) => {
      const result = spawnSync(process.execPath, [CANVOS, ...args], { cwd, env: { PATH: pathWithFake(), HOME: process.env["HOME"], NO_COLOR: "1" }, stdio: ["ignore", full, "pipe"], encoding: "utf8" });
      return { exitCode: result.status, stderr: result.stderr };
    };
    for (const args of [["versions"], ["--version"], ["provider", "--k8s-version", "1.27.2"]]) {
      const result = run(args);
      expect(result.exitCode, args.join(" ")).toBe(3);
      expect(result.stderr, args.join(" ")).toContain("canvos: cannot write to standard output: no space left on the device (ENOSPC)");
      expect(result.stderr, args.join(" ")).not.toMatch(/\n\s+at /);
    }
    closeSync(full);
    // The build itself succeeded, and its record says so; only its output to the user was lost.
    expect(JSON.parse(readFileSync(join(cwd, "build", "canvos-manifest.provider.json"), "utf8"))).toMatchObject({ status: "succeeded" });
  });
});
