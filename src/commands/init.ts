import { Command, Option } from "commander";
import { addConfigOptions, configRequest } from "../cli/config-options.js";

export function initCommand(): Command {
  const cmd = new Command("init")
    .description("write .arg (and user-data with --user-data) from the templates")
    .option("--user-data", "also write user-data from user-data.template")
    .addOption(new Option("--force", "overwrite files that already exist"))
    .addHelpText(
      "after",
      `
Examples:
  $ canvos init
  $ canvos init --arch arm64 --base-image quay.io/kairos/ubuntu:20.04-core-arm64-nvidia-jetson-agx-orin-v2.4.3
  $ canvos init --registry registry.example.com/edge --tag prod --user-data

The values given are checked first: an invalid combination writes nothing.`,
    );
  addConfigOptions(cmd);
  return cmd.action(async (_opts: unknown, command: Command) => {
    const { runInit } = await import("../config/init.js");
    const opts = command.opts<{ userData?: boolean; force?: boolean }>();
    const written = await runInit(configRequest(command, process.cwd()), { userData: Boolean(opts.userData), force: Boolean(opts.force) });
    for (const line of written) process.stderr.write(`${line}\n`);
  });
}
