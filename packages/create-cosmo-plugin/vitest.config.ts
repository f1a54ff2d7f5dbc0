import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "create-cosmo-plugin",
    include: ["test/**/*.test.ts"],
    // The end-to-end test publishes a generated plugin to @cosmo/test-kit's test registry (one
    // verdaccio per run, shared with every project that lists this file).
    globalSetup: ["@cosmo/test-kit/registry-setup"],
    // Real installs against a real registry: seconds, not milliseconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
