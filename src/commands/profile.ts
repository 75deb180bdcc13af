// `canvos profile`: the Palette profile snippet for the current configuration, without building.
import { Command } from "commander";
import { addConfigOptions, workspaceRequest } from "../cli/config-options.js";

export function profileCommand(): Command {
  const cmd = new Command("profile")
    .description("print the Palette cluster profile snippet for the current configuration (builds nothing)")
    .addHelpText(
      "after",
      `
Examples:
  $ canvos profile
  $ canvos profile --registry registry.example.com --repo edge --tag prod > profile.yaml

Exit codes: 0 printed, 2 invalid configuration, 3 no workspace here or above.`,
    );
  addConfigOptions(cmd);
  return cmd.action(async (_opts: unknown, self: Command) => {
    // Only what the snippet needs: the configuration, not the build path.
    const [{ loadWorkspaceConfig }, { profileFields, renderProfile }] = await Promise.all([import("../config/earthfile-args.js"), import("../plan/profile.js")]);
    // The snippet names provider images: their rules hold.
    const resolved = await loadWorkspaceConfig({ ...workspaceRequest(self), builds: { providers: true, iso: false } });
    process.stdout.write(renderProfile(profileFields(resolved.config)));
  });
}
