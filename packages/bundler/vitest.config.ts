import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "bundler",
    include: ["test/**/*.test.ts"],
    // One verdaccio per run, shared with other projects that list the same file.
    globalSetup: ["@cosmo/test-kit/registry-setup"],
    // Real installs against a real registry: seconds, not milliseconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
