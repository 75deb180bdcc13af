import { Command } from "commander";

export function versionsCommand(): Command {
  return new Command("versions")
    .description("list the Kubernetes versions canvos can build, per distribution, standard and FIPS")
    .option("--json", "print the matrix as JSON on stdout")
    .addHelpText("after", "\nExamples:\n  $ canvos versions\n  $ canvos versions --json | jq '.standard.k3s'")
    .action(async (opts: { json?: boolean }) => {
      const { loadMatrix } = await import("../config/k8s-matrix.js");
      const { renderMatrix } = await import("../report/versions.js");
      const matrix = loadMatrix();
      process.stdout.write(opts.json ? JSON.stringify({ standard: matrix.standard, fips: matrix.fips }, null, 2) + "\n" : renderMatrix(matrix));
    });
}
