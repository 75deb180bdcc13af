import { Command } from "commander";
import { addConfigOptions, configRequest } from "../cli/config-options.js";
import { checkImageFlag, engineChoice, runnerChoice } from "../earthly/runner-options.js";
import { ConfigError } from "../errors.js";
import { FLAVOURS, type Flavour } from "../vendor/flavours.js";

const collectFlavour = (value: string, previous: string[]): string[] => [...previous, value];

export function doctorCommand(): Command {
  const cmd = new Command("doctor")
    .description("check that this machine can build: Earthly or Docker, privileged containers, disk, QEMU, the configuration")
    .option("--json", "print the checks as JSON on stdout")
    .option("--runner <runner>", "the runner to check for: auto (local Earthly if found, else Docker), native or docker", "auto")
    .option("--earthly-bin <path>", "the Earthly binary (default: $CANVOS_EARTHLY_BIN, else earthly or earth on PATH)")
    .option("--engine <engine>", "Earthly or EarthBuild: auto (the local binary's; Earthly in Docker), earthly or earthbuild (default: $CANVOS_ENGINE, else auto)")
    .option("--vendor-base <flavour>", "also check what canvos vendor-base FLAVOUR needs (rhel8, rhel8-fips, ubuntu-focal-fips, slem; repeatable)", collectFlavour, [])
    .option("--earthly-image <ref>", "the image of the docker runner (default: $SPECTRO_PUB_REPO/earthly/earthly:v0.8.5; earthbuild/earthbuild:v0.8.18 for --engine earthbuild)")
    .addHelpText(
      "after",
      `
Examples:
  $ canvos doctor
  $ canvos doctor --runner docker --arch arm64
  $ canvos doctor --vendor-base rhel8
  $ canvos doctor --json | jq '.checks[] | select(.status != "ok")'

Each check is ok, warning or failure; a failure comes with its fix. The workspace is the nearest
folder, from here upward, that holds an Earthfile; none is a failed check.
Exit codes: 0 nothing failed (warnings allowed), 3 a check failed.`,
    );
  addConfigOptions(cmd);
  return cmd.action(async (_opts: unknown, self: Command) => {
    const opts = self.opts<{ json?: boolean; runner: string; earthlyBin?: string; earthlyImage?: string; engine?: string; vendorBase: string[] }>();
    const { EnvironmentError } = await import("../errors.js");
    const runner = runnerChoice(opts.runner);
    const engine = engineChoice(opts.engine, process.env);
    checkImageFlag("--earthly-image", opts.earthlyImage);
    const unknown = opts.vendorBase.filter((f) => !(FLAVOURS as readonly string[]).includes(f));
    if (unknown.length > 0) throw new ConfigError(`--vendor-base ${unknown.join(", ")}: not a flavour`, [], `one of ${FLAVOURS.join(", ")}`);
    const { runDoctor } = await import("../doctor/checks.js");
    const { renderDoctor, doctorJson } = await import("../doctor/render.js");
    const { findWorkspace, noWorkspace, typedProgram } = await import("../workspace/find.js");
    // No workspace is one failed check among the others, not the end of the report.
    const here = process.cwd();
    const root = findWorkspace(here);
    const workspace = root !== undefined ? { root } : { missing: noWorkspace(here) };
    const request = configRequest(self, root ?? here, process.env, here);
    const report = await runDoctor({ request, runner, earthlyBin: typedProgram(opts.earthlyBin), earthlyImage: opts.earthlyImage, engine, vendorBase: opts.vendorBase as Flavour[], workspace });
    process.stdout.write(opts.json ? doctorJson(report) : renderDoctor(report));
    if (!report.ok) {
      const failed = report.checks.filter((c) => c.status === "failure").map((c) => c.title);
      throw new EnvironmentError(`doctor: ${failed.length} check${failed.length === 1 ? "" : "s"} failed (${failed.join(", ")})`);
    }
  });
}
