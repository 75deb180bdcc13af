import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // End-to-end tests spawn the built CLI and real Docker; two cores are all we have.
    maxWorkers: 2,
    // The tests expect canvos's plain output: in a GitHub workflow it would add annotations.
    env: { GITHUB_ACTIONS: "" },
  },
});
