/**
 * The host whose dependencies are bundled with the plugins: the cosmo-runner package itself.
 * Plugins are resolved against the runner's real dependencies (its @cosmo/core above all), and
 * at run time import the runner's own copies through the bundle's links.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

/**
 * The cosmo-runner package dir. Found by walking up from this module: the built files sit in
 * `dist/` (chunks included) and the sources in `src/operations/`, so no fixed `../..` fits both.
 */
export function runnerPackageDir(): string {
  if (cached !== undefined) return cached;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string };
      if (pkg.name === "cosmo-runner") return (cached = dir);
    } catch {
      // no package.json here: keep walking
    }
    if (dirname(dir) === dir) throw new Error("cosmo-runner: cannot find its own package.json above " + fileURLToPath(import.meta.url));
  }
}
