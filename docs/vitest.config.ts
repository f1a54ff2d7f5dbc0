import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "docs",
    include: ["test/**/*.test.ts"],
    // The runner examples install plugins from @cosmo/test-kit's test registry (loopback, no uplinks).
    globalSetup: ["@cosmo/test-kit/registry-setup"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
