import { Command } from "commander";
import { addConfigOptions, workspaceRequest } from "../cli/config-options.js";
import { collect } from "../earthly/runner-options.js";

export function matrixCommand(): Command {
  const cmd = new Command("matrix")
    .description("list the jobs a CI system can fan out: one per provider image (Kubernetes version), one for the ISO, each with its exact canvos command")
    .option("--json", "print {\"include\": [...]} on stdout, ready for a GitHub Actions matrix")
    .option("--push", "the provider jobs push their images (canvos provider --push)")
    .option("--ci", "the jobs run canvos in CI mode (--ci)")
    .option("--secret <NAME>", "every job passes this build secret (its value from the job's environment), repeatable", collect, [])
    .option("--k8s-version <versions>", "Kubernetes version(s), repeatable or comma-separated (default: K8S_VERSION, else the whole matrix)", collect, [])
    .addHelpText(
      "after",
      `
Examples:
  $ canvos matrix
  $ canvos matrix --json --push --ci --secret SUBSCRIPTION_TOKEN --arg-file ci.arg
  $ canvos matrix --json --k8s-version 1.28.2,1.29.0 | jq -r '.include[].command'

Every job repeats --arg-file and the --KEY=value overrides given here. Values that hold a secret
(a proxy password) are left out of the commands and listed under "env": give them to the job.
Exit codes: 0 ok, 2 invalid configuration, 3 no workspace here or above.`,
    );
  addConfigOptions(cmd);
  return cmd.action(async (_opts: unknown, self: Command) => {
    const opts = self.opts<{ json?: boolean; push?: boolean; ci?: boolean; secret: string[]; k8sVersion: string[] }>();
    const { loadWorkspaceConfig } = await import("../config/earthfile-args.js");
    const { createMatrix, renderMatrix } = await import("../plan/matrix.js");
    const { formatProblem } = await import("../cli/handle-error.js");
    const { checkSecretNames } = await import("../earthly/secret-names.js");
    const { jsonText } = await import("../text.js");
    checkSecretNames(opts.secret);
    // Its jobs build provider images and the ISO: every rule holds.
    const request = { ...workspaceRequest(self), builds: { providers: true, iso: true } };
    const resolved = await loadWorkspaceConfig(request);
    const { matrix, warnings } = createMatrix({ request, k8sVersions: opts.k8sVersion, push: Boolean(opts.push), ci: Boolean(opts.ci), secrets: opts.secret }, resolved);
    for (const warning of [...resolved.warnings, ...warnings]) if (warning.severity === "warning") process.stderr.write(formatProblem(warning) + "\n");
    process.stdout.write(opts.json ? jsonText(matrix) : renderMatrix(matrix));
  });
}
