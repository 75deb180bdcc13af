import { resolve } from "node:path";
import { Command } from "commander";
import { addConfigOptions, workspaceRequest } from "../cli/config-options.js";
import { collect } from "../earthly/runner-options.js";

export function verifyCommand(): Command {
  const cmd = new Command("verify")
    .description("check an installer ISO (default: build/$ISO_NAME.iso) and images against the configuration, as a build does")
    .argument("[iso]", "the ISO to check (default: build/$ISO_NAME.iso)")
    .option("--image <ref>", "an image to check: present, linux/$ARCH, Kairos os-release of OS_DISTRIBUTION (repeatable)", collect, [])
    .option("--pushed", "look for the --image references in their registry (after --push) rather than the local Docker")
    .option("--boot", "also boot the ISO headless in QEMU (UEFI) and wait for the Linux kernel's banner")
    .option("--boot-timeout <seconds>", "how long --boot waits for the banner (default: 300)")
    .option("--json", "print the result as JSON on stdout")
    .addHelpText(
      "after",
      `
Examples:
  $ canvos verify
  $ canvos verify downloads/palette-edge-installer.iso --arch arm64
  $ canvos verify --boot --boot-timeout 600
  $ canvos verify --image palette-installer-image:v4.3.2-demo --json
  $ canvos verify --pushed --image registry.example.com/edge/ubuntu:k3s-1.27.2-v4.3.2-demo

Exit codes: 0 every check holds, 1 a check failed (or the ISO did not boot), 2 invalid configuration,
3 no workspace here or above, Docker or the registry unreachable, QEMU or its firmware missing (--boot).`,
    );
  addConfigOptions(cmd);
  return cmd.action(async (isoArg: string | undefined, _opts: unknown, self: Command) => {
    const opts = self.opts<{ image: string[]; pushed?: boolean; json?: boolean; boot?: boolean; bootTimeout?: string }>();
    const { ConfigError } = await import("../errors.js");
    const timeout = opts.bootTimeout === undefined ? 300 : Number(opts.bootTimeout);
    if (!Number.isInteger(timeout) || timeout <= 0) throw new ConfigError("invalid options", [{ where: "--boot-timeout", severity: "error", message: `"${opts.bootTimeout ?? ""}" is not a whole number of seconds above 0` }]);
    const request = workspaceRequest(self);
    // The ISO operand is ours, not an unexpected argument of the configuration flags. Typed by the
    // user, it is a path from where they are, not from the workspace (the default ISO's home).
    request.commandLineProblems = (request.commandLineProblems ?? []).filter((p) => p.where !== isoArg);
    const iso = isoArg === undefined ? undefined : resolve(isoArg);
    const { runVerify, renderVerify } = await import("../verify/run-verify.js");
    // Ctrl-C ends QEMU and docker save with canvos, not after them (they run in groups of their own).
    const { SignalWatch } = await import("../earthly/runner.js");
    const watch = new SignalWatch();
    let report: Awaited<ReturnType<typeof runVerify>>;
    try {
      report = await runVerify({ signal: watch.cancelSignal, request, iso, images: opts.image, registry: opts.pushed === true, boot: opts.boot === true ? { timeoutSeconds: timeout } : undefined });
    } catch (error) {
      if (watch.received === undefined) throw error;
      report = { ok: false, iso: undefined, images: [] };
    } finally {
      watch.dispose();
    }
    if (watch.received !== undefined) {
      const { InterruptedError } = await import("../errors.js");
      throw new InterruptedError(watch.received);
    }
    process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + "\n" : renderVerify(report));
    if (!report.ok) {
      const { BuildError } = await import("../errors.js");
      throw new BuildError("verify: a check failed");
    }
  });
}
