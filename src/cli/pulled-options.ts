// The flags `canvos images` and `canvos mirror` share: which runner the build would use (its images
// join the list) and which Kubernetes versions it builds. Loaded at start-up: commander only.
import type { Command } from "commander";
import { collect } from "../earthly/runner-options.js";

export function addPulledOptions(cmd: Command): Command {
  return cmd
    .option("--runner <runner>", "the runner the build uses: auto (a local Earthly if found, else Docker), native or docker; docker adds the Earthly image", "auto")
    .option("--engine <engine>", "earthly or earthbuild (default: $CANVOS_ENGINE, else auto)")
    .option("--earthly-image <ref>", "the docker runner's image, as given to the build")
    .option("--buildkit-image <ref>", "the proxy-mode BuildKit image, as given to the build")
    .option("--buildkit-host <url>", "a remote BuildKit, as given to the build (proxy mode then starts no BuildKit helper)")
    .option("--k8s-version <versions>", "Kubernetes version(s), as given to the build", collect, []);
}
