import { defineConfig } from "tsup";

export default defineConfig({
  // index: the library; client: cosmo-runner/client; cli: what bin/cosmo-runner.js runs; worker: what the supervisor forks
  // (src/supervisor.ts finds it as ./worker.js beside itself, so all three sit in dist/).
  entry: { index: "src/index.ts", client: "src/client/index.ts", cli: "src/cli/index.ts", worker: "src/worker/main.ts" },
  format: ["esm"],
  dts: { entry: { index: "src/index.ts", client: "src/client/index.ts", cli: "src/cli/index.ts" } },
  clean: true,
  target: "node20",
  sourcemap: true,
});
