// Runs a snippet that calls the project's steps/*.sh in a throw-away container, the way the
// Earthfile does: the scripts mounted at /canvos-steps, fixture files copied into place first
// (so the scripts may change them), build args as environment variables.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { PROJECT_ROOT } from "./workspace-copy.js";

export interface StepRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface StepOptions {
  /** Files to put in the container before the snippet runs: absolute path to content. */
  files?: Record<string, string | Buffer>;
  /** Paths of `files` that get the executable bit (stand-in commands). */
  executables?: readonly string[];
  env?: Record<string, string>;
  /** "none" (the default) or "host", for tests that serve downloads on loopback. */
  network?: "none" | "host";
}

export async function runInContainer(image: string, snippet: string, options: StepOptions = {}): Promise<StepRun> {
  const fixture = mkdtempSync(join(tmpdir(), "canvos-step-"));
  try {
    const root = join(fixture, "root");
    mkdirSync(root);
    for (const [path, content] of Object.entries(options.files ?? {})) {
      const target = join(root, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
      if (options.executables?.includes(path)) chmodSync(target, 0o755);
    }
    const env = Object.entries(options.env ?? {}).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    const script = `cp -a /canvos-fixture/root/. / && ${snippet}`;
    const result = await execa(
      "docker",
      ["run", "--rm", "--network", options.network ?? "none", "-v", `${join(PROJECT_ROOT, "steps")}:/canvos-steps:ro`, "-v", `${fixture}:/canvos-fixture:ro`, ...env, "--entrypoint", "/bin/sh", image, "-c", script],
      { reject: false, timeout: 300_000 },
    );
    return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
  } finally {
    rmSync(fixture, { recursive: true, force: true });
  }
}

/** A stand-in command that appends its arguments, one call per line, to `log`. */
export function recorder(log: string, extra = ""): string {
  return `#!/bin/sh\necho "$(basename "$0") $*" >> ${log}\n${extra}\n`;
}
