import { copyFile, mkdir } from "node:fs/promises";
import { build } from "esbuild";
import { defineConfig } from "tsup";

/**
 * The plugin manager page (page/): one browser bundle plus its HTML and CSS, written to dist/page
 * after the server build (which cleans dist/ first), where src/http/page.ts serves them.
 */
async function buildPage(): Promise<void> {
  await mkdir("dist/page", { recursive: true });
  await build({
    entryPoints: ["page/src/main.ts"],
    outfile: "dist/page/app.js",
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["chrome110", "firefox115", "safari16"],
    minify: true,
    sourcemap: false,
    legalComments: "none",
  });
  await Promise.all(["index.html", "style.css"].map((name) => copyFile(`page/${name}`, `dist/page/${name}`)));
}

export default defineConfig({
  // index: the library; client: cosmo-runner/client; cli: what bin/cosmo-runner.js runs; worker: what the supervisor forks;
  // bench-internals: what bench/runner.mjs times alone (not in package.json's exports)
  // (src/supervisor.ts finds it as ./worker.js beside itself, so all three sit in dist/).
  entry: { index: "src/index.ts", client: "src/client/index.ts", cli: "src/cli/index.ts", worker: "src/worker/main.ts", watchdog: "src/worker/watchdog-thread.ts", "bench-internals": "src/bench-internals.ts" },
  format: ["esm"],
  dts: { entry: { index: "src/index.ts", client: "src/client/index.ts", cli: "src/cli/index.ts" } },
  clean: true,
  target: "node20",
  sourcemap: true,
  onSuccess: buildPage,
});
