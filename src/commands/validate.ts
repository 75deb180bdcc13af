import { Command } from "commander";
import { addConfigOptions, workspaceRequest } from "../cli/config-options.js";

export function validateCommand(): Command {
  const cmd = new Command("validate")
    .description("check the configuration and the files it names; print every resolved value and where it came from")
    .option("--json", "print the result as JSON on stdout")
    .addHelpText(
      "after",
      `
Examples:
  $ canvos validate
  $ canvos validate --arg-file ci.arg --json
  $ canvos validate --ARCH=arm64 --BASE_IMAGE=quay.io/kairos/ubuntu:20.04-core-arm64-nvidia-jetson-agx-orin-v2.4.3

Exit codes: 0 valid (warnings allowed), 2 invalid, 3 no workspace here or above.`,
    );
  addConfigOptions(cmd);
  return cmd.action(async (_opts: unknown, command: Command) => {
    const { runValidate } = await import("../cli/run-validate.js");
    await runValidate(workspaceRequest(command), { json: Boolean(command.opts()["json"]) });
  });
}
