import { Command } from "commander";

export function versionsCommand(): Command {
  return new Command("versions")
    .description("list the Kubernetes versions canvos can build, per distribution, standard and FIPS")
    .option("--json", "print the matrix as JSON on stdout")
    .addHelpText("after", "\nExamples:\n  $ canvos versions\n  $ canvos versions --json | jq '.standard.k3s'")
    .action(async (opts: { json?: boolean }) => {
      const { loadMatrix, loadWorkspaceMatrix } = await import("../config/k8s-matrix.js");
      const { renderMatrix } = await import("../report/versions.js");
      const { findWorkspace } = await import("../workspace/find.js");
      // The workspace's k8s_version.json, which the build reads, when there is one; outside a workspace, the package's.
      const root = findWorkspace(process.cwd());
      const { matrix, problems } = root !== undefined ? await loadWorkspaceMatrix(root) : { matrix: loadMatrix(), problems: [] };
      if (problems.length > 0) {
        const { ConfigError } = await import("../errors.js");
        throw new ConfigError("k8s_version.json cannot be used", problems);
      }
      process.stdout.write(opts.json ? JSON.stringify({ standard: matrix.standard, fips: matrix.fips }, null, 2) + "\n" : renderMatrix(matrix));
    });
}
