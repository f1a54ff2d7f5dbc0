import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "create-cosmo-plugin",
    include: ["test/**/*.test.ts"],
    // The end-to-end test publishes a generated plugin to the bundler's test registry (one
    // verdaccio per run, shared with every project that lists this file).
    globalSetup: ["../bundler/test/setup/registry.ts"],
    // Real installs against a real registry: seconds, not milliseconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
