import { Command, Option } from "commander";
import { addConfigOptions, configRequest } from "../cli/config-options.js";

export function initCommand(): Command {
  const cmd = new Command("init")
    .description("lay out a workspace in this folder: the build definition (Earthfile, Dockerfile, steps/, overlay/, k8s_version.json), the templates, and .arg with the values given")
    .option("--user-data", "also write user-data from user-data.template")
    .addOption(new Option("--force", "replace the files that already exist with the package's (.arg rewritten from the template)"))
    .addHelpText(
      "after",
      `
Examples:
  $ canvos init
  $ canvos init --arch arm64 --base-image quay.io/kairos/ubuntu:20.04-core-arm64-nvidia-jetson-agx-orin-v2.4.3
  $ canvos init --registry registry.example.com/edge --tag prod --user-data

  $ canvos init --user-data                 add user-data to a workspace, keeping its .arg

init works in the current folder; every other command finds the workspace from there upward.
Files already there are kept (init says which); values given for an .arg that exists are refused
unless --force. The values given are checked first: an invalid combination writes nothing.`,
    );
  addConfigOptions(cmd);
  return cmd.action(async (_opts: unknown, command: Command) => {
    const { runInit } = await import("../config/init.js");
    const opts = command.opts<{ userData?: boolean; force?: boolean }>();
    const written = await runInit(configRequest(command, process.cwd()), { userData: Boolean(opts.userData), force: Boolean(opts.force) });
    for (const line of written) process.stderr.write(`${line}\n`);
  });
}
