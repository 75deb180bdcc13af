// `canvos images`: every image the configured build pulls and every file it downloads.
import { Command } from "commander";
import { addConfigOptions, workspaceRequest } from "../cli/config-options.js";
import { addPulledOptions } from "../cli/pulled-options.js";

export function imagesCommand(): Command {
  const cmd = new Command("images")
    .description("list every image the configured build pulls and every file it downloads (for a private registry or an air-gapped site)")
    .option("--json", "print {images: [{ref, neededBy, platforms, setting, path}], downloads: [{url, neededBy}]} on stdout")
    .addHelpText(
      "after",
      `
Examples:
  $ canvos images
  $ canvos images --runner docker --arch arm64 --base-image registry.example.com/edge/jetson:r36
  $ canvos images --json | jq -r '.images[].ref'

The list comes from the workspace's Earthfile and Dockerfile evaluated for the configuration, the
way the build reaches them; "native" is the platform of the machine that builds.
Exit codes: 0 listed, 2 invalid configuration or an Earthfile that does not evaluate.`,
    );
  addPulledOptions(cmd);
  addConfigOptions(cmd);
  return cmd.action(async (_opts: unknown, self: Command) => {
    const opts = self.opts<{ json?: boolean }>();
    const { loadPulledSet } = await import("../plan/pulled-run.js");
    const { renderPulled } = await import("../report/pulled.js");
    const { jsonText } = await import("../text.js");
    const { formatProblem } = await import("../cli/handle-error.js");
    const set = await loadPulledSet(workspaceRequest(self), self.opts());
    for (const warning of set.warnings) process.stderr.write(formatProblem(warning) + "\n");
    process.stdout.write(opts.json ? jsonText({ images: set.images, downloads: set.downloads }) : renderPulled(set));
  });
}
