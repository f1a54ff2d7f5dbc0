import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "example-node-http-host",
    include: ["test/**/*.test.ts"],
  },
});
