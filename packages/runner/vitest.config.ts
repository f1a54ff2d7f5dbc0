import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "runner",
    include: ["test/**/*.test.ts"],
    // The end-to-end tests install plugins from the bundler's test registry (one verdaccio per
    // run, shared with every project that lists this file).
    globalSetup: ["../bundler/test/setup/registry.ts"],
  },
});
