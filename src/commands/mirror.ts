// `canvos mirror`: copies what the build pulls to a private registry or an OCI layout.
import { Command } from "commander";
import { addConfigOptions, workspaceRequest } from "../cli/config-options.js";
import { addPulledOptions } from "../cli/pulled-options.js";

export function mirrorCommand(): Command {
  const cmd = new Command("mirror")
    .description("copy every image the configured build pulls to a registry prefix or an OCI layout (no Docker daemon needed), then print the .arg lines for a build from there")
    .requiredOption("--to <REGISTRY/PREFIX|oci:DIR>", "where the images go: a registry prefix, or an OCI image layout folder to carry into an air-gapped site")
    .option("--from <oci:DIR>", "push what an OCI layout holds (written by --to oci:DIR) instead of the configured images")
    .option("--all-platforms", "copy whole image indexes, not only the platforms the build pulls")
    .option("--json", "print the outcome as JSON on stdout (images, bytes uploaded, .arg lines)")
    .addHelpText(
      "after",
      `
Examples:
  $ canvos mirror --to registry.example.com/edge
  $ canvos mirror --to oci:/media/usb/canvos --arch arm64 --base-image quay.io/me/jetson:r36
  $ canvos mirror --from oci:/media/usb/canvos --to registry.site.internal/edge

Each image keeps its path below its source prefix (SPECTRO_PUB_REPO, KAIROS_BASE_IMAGE_URL,
SPECTRO_LUET_REPO), or below its registry; credentials for both ends come from Docker's config
(docker login). Blobs and manifests already there are not uploaded again. The files the build
downloads (etcd) are listed by canvos images: serve them under ETCD_REPO.
Exit codes: 0 copied, 1 an image is missing at the source (after the others are copied) or did
not match its digest, 2 invalid configuration or usage, 3 a registry cannot be reached or refused.`,
    );
  addPulledOptions(cmd);
  addConfigOptions(cmd);
  return cmd.action(async (_opts: unknown, self: Command) => {
    const { mirrorCommandRun } = await import("../mirror/command.js");
    await mirrorCommandRun(self, workspaceRequest(self));
  });
}
