// What a test run leaves behind is checked, not hoped for. global-setup.ts gives each run a
// folder of its own and points TMPDIR at it, so every temporary file of the run (the tests', the
// stand-ins', canvos's own) lands there; the images tests make carry TEST_IMAGE_LABEL=<run>. At
// the end, whatever is still in the folder or still labelled with the run is named and fails the
// run. Deliberate caches live elsewhere and are kept: ~/.cache/canvos-test (root filesystems, a
// kernel) and the images canvos-test/debian-rootfs:* and canvos-test/kairos-like-debian:*,
// which carry no run label.
export const TEST_IMAGE_LABEL = "canvos.test-run";

/** This run's id (global-setup.ts sets it before any test file loads). */
export function testRun(): string {
  return process.env["CANVOS_TEST_RUN"] ?? "outside-the-suite";
}

/** `docker build`/`docker import` arguments that mark an image as this run's. */
export function testImageLabelArgs(kind: "build" | "import"): string[] {
  return kind === "build" ? ["--label", `${TEST_IMAGE_LABEL}=${testRun()}`] : ["--change", `LABEL ${TEST_IMAGE_LABEL}=${testRun()}`];
}
