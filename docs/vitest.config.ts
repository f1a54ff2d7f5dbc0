import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "docs",
    include: ["test/**/*.test.ts"],
    // The runner examples install plugins from the bundler's test registry (loopback, no uplinks).
    globalSetup: ["../packages/bundler/test/setup/registry.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
