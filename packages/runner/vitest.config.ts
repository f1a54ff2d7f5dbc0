import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "runner",
    include: ["test/**/*.test.ts"],
    // The end-to-end tests install plugins from @cosmo/test-kit's test registry (one verdaccio
    // per run, shared with every project that lists it).
    globalSetup: ["@cosmo/test-kit/registry-setup"],
    // Most tests here spawn real runners and workers; on a busy 2-core machine a start can take
    // several seconds. These are ceilings against hangs, not speed checks (speed is in the bench).
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
