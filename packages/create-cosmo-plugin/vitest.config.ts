import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "create-cosmo-plugin",
    include: ["test/**/*.test.ts"],
    // Real installs against a real registry: seconds, not milliseconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
