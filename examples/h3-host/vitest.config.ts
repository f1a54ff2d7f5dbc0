import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "example-h3-host",
    include: ["test/**/*.test.ts"],
    // The bundler's test registry (verdaccio on loopback, fixture plugins published): the check
    // endpoint resolves against it, never a public registry. Shared with the other projects.
    globalSetup: ["../../packages/bundler/test/setup/registry.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
