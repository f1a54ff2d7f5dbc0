import { defineConfig } from "vitest/config";
import projects from "./vitest.workspace.ts";

export default defineConfig({
  test: {
    projects,
    // Process tests spawn the built bins: rebuild any workspace whose dist/ is older than its
    // sources first (a no-op when all are fresh), so a test never runs yesterday's build.
    globalSetup: ["@cosmo/test-kit/build-stale"],
  },
});
