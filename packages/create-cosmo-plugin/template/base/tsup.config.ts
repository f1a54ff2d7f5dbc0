import { defineConfig } from "tsup";

// @cosmo/core is a peer dependency, so tsup leaves its imports alone: at run time the plugin
// uses the host's own copy, never one bundled into dist.
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm"],
  dts: true,
  clean: true,
  target: "node20",
});
