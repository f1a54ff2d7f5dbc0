/**
 * Builds every workspace whose dist/ is older than its sources, in the root build's order.
 * Process tests spawn the built bins (`cosmo-runner`, `create-cosmo-plugin`), so without this an
 * edit followed by `npm test` exercised the previous build. A package is stale when a file of
 * its build inputs (src/, its configs, and the runner's page/) is newer than the oldest file of
 * its dist/; tsup cleans dist/ on every build, so the oldest output marks the last build.
 * Set COSMO_TEST_BUILD=never to skip the check (a tree built by other means).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../..", import.meta.url));

/** The workspaces with a build, in the order the root `build` script runs them. */
const BUILT: { dir: string; inputs: string[] }[] = [
  { dir: "packages/core", inputs: ["src", "scripts"] },
  { dir: "packages/bundler", inputs: ["src"] },
  { dir: "packages/runner", inputs: ["src", "page"] },
  { dir: "packages/create-cosmo-plugin", inputs: ["src"] },
  { dir: "examples/smart-switch", inputs: ["src", "cosmo.json"] },
];
const CONFIGS = ["package.json", "tsup.config.ts", "tsconfig.json"];

/** Newest (or oldest) mtime of the files under `path`; undefined when there are none. */
function mtimes(path: string, pick: (a: number, b: number) => number): number | undefined {
  if (!existsSync(path)) return undefined;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let found: number | undefined;
  for (const entry of readdirSync(path)) {
    const time = mtimes(join(path, entry), pick);
    if (time !== undefined) found = found === undefined ? time : pick(found, time);
  }
  return found;
}

/** The workspaces whose dist/ is missing or older than an input. */
export function staleWorkspaces(): string[] {
  return BUILT.filter(({ dir, inputs }) => {
    // A build that failed in its .d.ts step leaves the JavaScript behind: not a build.
    if (!existsSync(join(root, dir, "dist/index.d.ts"))) return true;
    const built = mtimes(join(root, dir, "dist"), Math.min);
    if (built === undefined) return true;
    const newest = Math.max(...[...inputs, ...CONFIGS].map((p) => mtimes(join(root, dir, p), Math.max) ?? 0));
    return newest > built;
  }).map(({ dir }) => dir);
}

/** Runs `npm run build` in each stale workspace; throws with the build's output if one fails. */
export function buildStale(log: (line: string) => void = console.log): string[] {
  if (process.env.COSMO_TEST_BUILD === "never") return [];
  const stale = staleWorkspaces();
  for (const dir of stale) {
    log(`building ${dir}: its dist/ is older than its sources`);
    const result = spawnSync("npm", ["run", "build", "-w", dir], { cwd: root, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`npm run build -w ${dir} failed:\n${result.stdout}\n${result.stderr}`);
  }
  return stale;
}

/** vitest globalSetup: the run's process tests spawn fresh bins. */
export default function setup(): void {
  buildStale();
}
