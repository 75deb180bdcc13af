// The build commands: build-all, iso, provider, base. Each only declares its flags; the work is
// loaded inside the action (src/build/run-build.ts).
import { Command, Option } from "commander";
import { addConfigOptions, workspaceRequest } from "../cli/config-options.js";
import { ConfigError } from "../errors.js";
import { typedProgram } from "../workspace/find.js";
import { BUILDS_ISO, BUILDS_PROVIDERS, TARGET_OF, type BuildCommand } from "../plan/targets.js";
import { addRunnerOptions, collect, runnerSettings } from "../earthly/runner-options.js";

const DESCRIPTIONS: Readonly<Record<BuildCommand, string>> = {
  "build-all": "build the provider images and the installer ISO",
  iso: "build the installer ISO (build/$ISO_NAME.iso and its .sha256)",
  provider: "build the Kubernetes provider images",
  base: "build the base image alone",
};

const EXAMPLES: Readonly<Record<BuildCommand, string>> = {
  "build-all": `  $ canvos build-all --arch amd64
  $ canvos build-all --k8s-version 1.27.2,1.28.2 --push --registry registry.example.com --repo edge
  $ canvos build-all --dry-run --json`,
  iso: `  $ canvos iso
  $ canvos iso --arg-file ci.arg --ISO_NAME=site-a
  $ canvos iso --dry-run --json
  $ canvos iso --ci --json > record.json`,
  provider: `  $ canvos provider --k8s-version 1.27.2 --push > profile.yaml
  $ canvos provider --k8s-distribution rke2 --fips --base-image <fips base image>
  $ canvos provider --earthly-flag=--strict --verbose`,
  base: `  $ canvos base
  $ canvos base --os opensuse-leap --os-version 15.5 --dry-run`,
};

const PUSH_REFUSED: Partial<Record<BuildCommand, string>> = {
  iso: "iso builds no image to push: the ISO is written to build/ and its installer image stays in the local Docker",
  base: "base builds no image to push: the base image stays in the local Docker",
};

function defineBuildCommand(command: BuildCommand): Command {
  const providers = BUILDS_PROVIDERS[command];
  const cmd = new Command(command)
    .description(`${DESCRIPTIONS[command]} (Earthly ${TARGET_OF[command]})`)
    .option("--dry-run", "print the plan (every process the build starts, in order; build args, images, artifacts) and run nothing")
    .option("--json", "stdout holds one JSON object: the plan with --dry-run, else the run's record (build/canvos-manifest.<command>.json), failed runs too")
    .addOption(new Option("--push", providers ? "push the provider images to IMAGE_REGISTRY (Earthly --push)" : "with --remote-cache: write the cache (Earthly --push); there is no image to push"))
    .option("--no-cache", "build without Earthly's cache (Earthly --no-cache)")
    .option("--verbose", "stream Earthly's own log lines to stderr")
    .option("--earthly-bin <path>", "the Earthly binary (default: $CANVOS_EARTHLY_BIN, else earthly or earth on PATH)")
    .option("--earthly-flag <flag>", "pass a flag to Earthly, before the target (repeatable), e.g. --earthly-flag=--strict", collect, []);
  if (BUILDS_ISO[command]) {
    cmd.option("--boot", "after the checks, boot the ISO headless in QEMU (UEFI) and wait for the Linux kernel's banner");
    cmd.option("--boot-timeout <seconds>", "how long --boot waits for the banner (default: 300)");
  }
  if (providers) {
    cmd.option("--k8s-version <versions>", "Kubernetes version(s) to build, repeatable or comma-separated (default: K8S_VERSION, else the whole matrix)", collect, []);
  }
  cmd.addHelpText(
    "after",
    `
Examples:
${EXAMPLES[command]}

Progress goes to stderr, the full Earthly log to build/logs/ (the last 20 kept; CANVOS_KEEP_LOGS),
the run's record to build/canvos-manifest.${command}.json, results${providers ? " (the Palette profile snippet)" : ""} to stdout.
Exit codes: 0 built and verified, 1 build failed or outputs missing, 2 invalid configuration,
3 no workspace here or above, Earthly missing or workspace busy, 130/143 interrupted.`,
  );
  addRunnerOptions(cmd);
  addConfigOptions(cmd);
  return cmd.action(async (_opts: unknown, self: Command) => {
    // zod loads inside the action: `canvos --help` builds every command and must not pay for it.
    const { buildOptionsSchema } = await import("../cli/build-options.js");
    const parsed = buildOptionsSchema.safeParse(self.opts());
    if (!parsed.success) throw new ConfigError("invalid options", parsed.error.issues.map((i) => ({ where: `--${i.path.join(".")}`, severity: "error", message: i.message })));
    const o = parsed.data;
    // Without a cache to write, --push here would be accepted and push nothing.
    if (o.push && !providers && self.opts()["remoteCache"] === undefined) throw new ConfigError(`canvos ${command} pushes nothing`, [{ where: "--push", severity: "error", message: PUSH_REFUSED[command] ?? "" }], "provider images are pushed by canvos provider --push or canvos build-all --push");
    const { runBuild } = await import("../build/run-build.js");
    await runBuild({
      command,
      request: workspaceRequest(self),
      k8sVersions: o.k8sVersion,
      push: o.push,
      noCache: !o.cache,
      earthlyFlags: o.earthlyFlag,
      earthlyBin: typedProgram(o.earthlyBin),
      dryRun: o.dryRun,
      json: o.json,
      verbose: o.verbose,
      runner: runnerSettings(self.opts()),
      boot: o.boot ? { timeoutSeconds: o.bootTimeout } : undefined,
    });
  });
}

export const buildAllCommand = (): Command => defineBuildCommand("build-all");
export const isoCommand = (): Command => defineBuildCommand("iso");
export const providerCommand = (): Command => defineBuildCommand("provider");
export const baseCommand = (): Command => defineBuildCommand("base");
