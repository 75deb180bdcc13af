// `canvos vendor-base FLAVOUR`: a Kairos base image built from a vendor OS (RHEL, Ubuntu Pro FIPS,
// SLE Micro) with the definitions in vendor-base/. Describes the command only; the work loads in
// the action (src/vendor/).
import { Command } from "commander";
import { ConfigError } from "../errors.js";
import { FLAVOUR_SPECS, FLAVOURS, PREBUILT_BASE_IMAGES, type Flavour } from "../vendor/flavours.js";

function needsText(): string {
  const width = Math.max(...FLAVOURS.map((f) => f.length));
  return FLAVOURS.map((f) => `  ${f.padEnd(width)}  ${FLAVOUR_SPECS[f].needs}`).join("\n");
}

export function listText(): string {
  const width = Math.max(...FLAVOURS.map((f) => f.length));
  const lines = ["Flavours canvos builds (canvos vendor-base FLAVOUR):"];
  for (const f of FLAVOURS) lines.push(`  ${f.padEnd(width)}  ${FLAVOUR_SPECS[f].distribution}${FLAVOUR_SPECS[f].fips ? ", FIPS" : ""}, from ${FLAVOUR_SPECS[f].vendorImage}`);
  lines.push("", "Prebuilt base images Spectro Cloud publishes (set BASE_IMAGE to one, nothing to build):");
  const refWidth = Math.max(...PREBUILT_BASE_IMAGES.map((i) => i.ref.length));
  for (const image of PREBUILT_BASE_IMAGES) lines.push(`  ${image.ref.padEnd(refWidth)}  ${image.what}`);
  return lines.join("\n") + "\n";
}

export function vendorBaseCommand(): Command {
  const cmd = new Command("vendor-base")
    .description("build a Kairos base image from a vendor OS (rhel8, rhel8-fips, ubuntu-focal-fips, slem) for BASE_IMAGE")
    .argument("[flavour]", `one of ${FLAVOURS.join(", ")}`)
    .option("--list", "list the flavours and the prebuilt base images Spectro Cloud publishes")
    .option("--tag <ref>", "the image to make (default: canvos-vendor-base/FLAVOUR:KAIROS_VERSION, local only)")
    .option("--push", "push the image (needs --tag naming your registry; log in with docker login first)")
    .option("--vendor-image <ref>", "the vendor OS image to start from (default: the flavour's, e.g. registry.access.redhat.com/ubi8/ubi-init:8.7-10)")
    .option("--framework-image <ref>", "the Kairos framework image (default: quay.io/kairos/framework:KAIROS_VERSION, -fips for FIPS flavours)")
    .option("--kairos-version <version>", "the Kairos release the image carries (default: v2.4.5)")
    .option("--docker <path>", "the docker CLI to build with: Docker 20.10+ or one with buildx (default: $CANVOS_DOCKER_BIN, else docker)")
    .option("--no-cache", "build without BuildKit's cache")
    .option("--dry-run", "print the plan (the docker build command, secrets by name, the image) and run nothing")
    .option("--json", "with --dry-run: print the plan as one JSON object on stdout")
    .option("--verbose", "stream docker build's output to stderr")
    .addHelpText(
      "after",
      `
What each flavour needs from you (the values only in environment variables, handed to BuildKit
as secrets: never a build arg, a command line, a layer, a log or the image history):
${needsText()}

Examples:
  $ RH_USERNAME=me RH_PASSWORD=... canvos vendor-base rhel8 --tag registry.example.com/edge/rhel8:v2.4.5 --push
  $ UBUNTU_PRO_TOKEN=... canvos vendor-base ubuntu-focal-fips >> .arg
  $ canvos vendor-base slem --dry-run --json
  $ canvos vendor-base --list

Progress goes to stderr, the log to build/logs/, the .arg lines (BASE_IMAGE=, OS_DISTRIBUTION=, ...) to stdout.
Exit codes: 0 built and checked, 1 build failed or the image is wrong, 2 invalid usage or a secret
not set, 3 Docker missing, 130/143 interrupted.`,
    );
  return cmd.action(async (flavour: string | undefined, opts: Record<string, unknown>) => {
    if (opts["list"] === true) {
      process.stdout.write(listText());
      return;
    }
    if (flavour === undefined) throw new ConfigError("name the flavour to build", [], `canvos vendor-base ${FLAVOURS.join("|")} (canvos vendor-base --list shows them)`);
    if (!(FLAVOURS as readonly string[]).includes(flavour)) {
      const { didYouMean } = await import("../config/suggest.js");
      throw new ConfigError(`unknown flavour ${flavour}${didYouMean(flavour, FLAVOURS)}`, [], `one of ${FLAVOURS.join(", ")}`);
    }
    if (opts["json"] === true && opts["dryRun"] !== true) throw new ConfigError("--json goes with --dry-run");
    const text = (key: string): string | undefined => (typeof opts[key] === "string" ? (opts[key] as string) : undefined);
    const env = process.env;
    const { runVendorBase } = await import("../vendor/run-vendor-base.js");
    const { findWorkspace } = await import("../workspace/find.js");
    await runVendorBase({
      flavour: flavour as Flavour,
      tag: text("tag"),
      push: opts["push"] === true,
      noCache: opts["cache"] === false,
      vendorImage: text("vendorImage"),
      frameworkImage: text("frameworkImage"),
      kairosVersion: text("kairosVersion"),
      docker: text("docker") ?? (env["CANVOS_DOCKER_BIN"] !== undefined && env["CANVOS_DOCKER_BIN"] !== "" ? env["CANVOS_DOCKER_BIN"] : "docker"),
      env,
      // Its log goes to the workspace's build/logs/ when run inside one; it needs none.
      cwd: findWorkspace(process.cwd()) ?? process.cwd(),
      dryRun: opts["dryRun"] === true,
      json: opts["json"] === true,
      verbose: opts["verbose"] === true,
    });
  });
}
