import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "example-h3-host",
    include: ["test/**/*.test.ts"],
    // The test registry of @cosmo/test-kit (verdaccio on loopback, fixture plugins published): the check
    // endpoint resolves against it, never a public registry. Shared with the other projects.
    globalSetup: ["@cosmo/test-kit/registry-setup"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
