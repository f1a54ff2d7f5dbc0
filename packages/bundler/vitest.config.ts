import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "bundler",
    include: ["test/**/*.test.ts"],
  },
});
