import { Command } from "commander";
import { addConfigOptions, configRequest } from "../cli/config-options.js";
import { collect } from "../earthly/runner-options.js";

export function verifyCommand(): Command {
  const cmd = new Command("verify")
    .description("check an installer ISO (default: build/$ISO_NAME.iso) and images against the configuration, as a build does")
    .argument("[iso]", "the ISO to check (default: build/$ISO_NAME.iso)")
    .option("--image <ref>", "an image to check: present, linux/$ARCH, Kairos os-release of OS_DISTRIBUTION (repeatable)", collect, [])
    .option("--pushed", "look for the --image references in their registry (after --push) rather than the local Docker")
    .option("--json", "print the result as JSON on stdout")
    .addHelpText(
      "after",
      `
Examples:
  $ canvos verify
  $ canvos verify downloads/palette-edge-installer.iso --arch arm64
  $ canvos verify --image palette-installer-image:v4.3.2-demo --json
  $ canvos verify --pushed --image registry.example.com/edge/ubuntu:k3s-1.27.2-v4.3.2-demo

Exit codes: 0 every check holds, 1 a check failed, 2 invalid configuration, 3 Docker or the registry unreachable.`,
    );
  addConfigOptions(cmd);
  return cmd.action(async (isoArg: string | undefined, _opts: unknown, self: Command) => {
    const opts = self.opts<{ image: string[]; pushed?: boolean; json?: boolean }>();
    const request = configRequest(self, process.cwd());
    // The ISO operand is ours, not an unexpected argument of the configuration flags.
    const iso = isoArg ?? undefined;
    request.commandLineProblems = (request.commandLineProblems ?? []).filter((p) => p.where !== iso);
    const { runVerify, renderVerify } = await import("../verify/run-verify.js");
    const report = await runVerify({ request, iso, images: opts.image, registry: opts.pushed === true });
    process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + "\n" : renderVerify(report));
    if (!report.ok) {
      const { BuildError } = await import("../errors.js");
      throw new BuildError("verify: a check failed");
    }
  });
}
