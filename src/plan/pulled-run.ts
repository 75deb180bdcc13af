// From the command line to the pulled-image set: the configuration as every command loads it, and
// the runner the build would pick (its images are pulled too).
import { loadWorkspace } from "../config/earthfile-args.js";
import type { ResolveOptions } from "../config/types.js";
import { dockerEngine, engineOfBinary } from "../earthly/engine.js";
import { locateEarthly } from "../earthly/locate.js";
import { runnerSettings } from "../earthly/runner-options.js";
import { EnvironmentError } from "../errors.js";
import { pulledImages, type PulledSet, type RunnerImages } from "./pulled-images.js";

export async function loadPulledSet(request: ResolveOptions, opts: Record<string, unknown>): Promise<PulledSet> {
  const settings = runnerSettings(opts, request.env);
  const { resolved, earthfile } = await loadWorkspace(request);
  const choice = settings.engine ?? "auto";
  let runner: RunnerImages = { kind: "docker", engine: dockerEngine(choice), earthlyImage: settings.earthlyImage, buildkitImage: settings.buildkitImage, buildkitHost: settings.buildkitHost };
  if (settings.runner !== "docker") {
    try {
      const located = locateEarthly({ env: request.env, cwd: request.cwd });
      runner = { kind: "native", engine: choice === "auto" ? engineOfBinary(located.path) : choice };
    } catch (error) {
      if (!(error instanceof EnvironmentError)) throw error;
      // As the build does: no local Earthly under --runner auto means Earthly in Docker.
      if (settings.runner === "native") throw error;
    }
  }
  const k8sVersions = Array.isArray(opts["k8sVersion"]) ? (opts["k8sVersion"] as unknown[]).map(String) : [];
  return pulledImages({ resolved, earthfile, cwd: request.cwd, command: "build-all", k8sVersions, runner });
}
