import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "example-smart-switch",
    include: ["test/**/*.test.ts"],
  },
});
