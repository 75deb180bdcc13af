// The flags `canvos images` and `canvos mirror` share: which runner the build would use (its images
// join the list) and which Kubernetes versions it builds. Loaded at start-up: commander only.
import type { Command } from "commander";
import { addRunnerChoiceOptions, collect } from "../earthly/runner-options.js";

export function addPulledOptions(cmd: Command): Command {
  return addRunnerChoiceOptions(cmd).option("--k8s-version <versions>", "Kubernetes version(s), as given to the build", collect, []);
}
