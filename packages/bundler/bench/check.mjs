// Benchmark: the in-memory conflict check of one new plugin against a host + 10 plugins already
// in a bundle (with lockfile), against the npm CLI doing the same resolution
// (`npm install --package-lock-only <spec>` in a copy of that bundle dir). Both hit the same test
// registry (verdaccio on loopback) and both are warmed once: our checker keeps packuments in
// memory, npm has its cache on disk (--prefer-offline). Runs are interleaved so machine noise hits
// both alike. Plain Node; imports the BUILT @cosmo/bundler (run `npm run build` first) and the
// test registry helper (TypeScript, loaded with jiti).
//
//   node packages/bundler/bench/check.mjs [--runs 10] [--plugins 10]
import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import Arborist from "@npmcli/arborist";
import { createJiti } from "jiti";

let bundler;
try {
  bundler = await import("@cosmo/bundler");
} catch (error) {
  console.error("Cannot import the built @cosmo/bundler: run `npm run build` first.\n", error);
  process.exit(1);
}
const { createBundledManifest, createChecker } = bundler;

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "10" },
    plugins: { type: "string", default: "10" },
    // Write the row as JSON here (bench/run.mjs reads it) instead of printing.
    json: { type: "string" },
  },
});
const RUNS = Number(values.runs);
const PLUGINS = Number(values.plugins);
const LIBS = 24;

const here = dirname(fileURLToPath(import.meta.url));
const jiti = createJiti(import.meta.url);
const { startTestRegistry, registryEnv } = await jiti.import("@cosmo/test-kit");
const { createTestHost } = await jiti.import(join(here, "../test/helpers/host.ts"));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One fixture package dir: package.json (+ cosmo.json for plugins). */
async function fixture(root, pkg, cosmo) {
  const dir = join(root, `${pkg.name}@${pkg.version}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), JSON.stringify({ type: "module", main: "index.js", license: "MIT", ...pkg }));
  await writeFile(join(dir, "index.js"), "export class Plugin { setup() {} }\n");
  if (cosmo) await writeFile(join(dir, "cosmo.json"), JSON.stringify(cosmo));
}

/**
 * A registry shaped like a small real one: libraries with three versions each, some depending on
 * others, a library every plugin peers on (the host has it), and PLUGINS + 1 plugins with 3-4 deps.
 */
async function writeFixtures(root) {
  for (const version of ["1.0.0", "1.1.0", "2.0.0"]) {
    await fixture(root, { name: "bench-shared", version });
    for (let i = 0; i < LIBS; i++) {
      const deps = i % 3 === 0 && i + 1 < LIBS ? { [`bench-lib-${i + 1}`]: "^1.0.0" } : {};
      await fixture(root, { name: `bench-lib-${i}`, version, dependencies: deps });
    }
  }
  for (let p = 0; p <= PLUGINS; p++) {
    const name = `bench-plugin-${p}`;
    const dependencies = {};
    for (let k = 0; k < 3 + (p % 2); k++) dependencies[`bench-lib-${(p * 5 + k * 7) % LIBS}`] = "^1.0.0";
    await fixture(
      root,
      { name, version: "1.0.0", dependencies, peerDependencies: { "bench-shared": "^1.0.0", "@cosmo/core": "*" } },
      { name, version: "1.0.0", plugin_class: "./index.js:Plugin", requires_webhooks: true, webhook_prefix: `/bench-${p}` },
    );
  }
}

const work = await mkdtemp(join(tmpdir(), "cosmo-bench-check-"));
const fixturesDir = join(work, "fixtures");
await writeFixtures(fixturesDir);
const registry = await startTestRegistry({ fixturesDir });
const host = await createTestHost({ registry: registry.url, dependencies: { "bench-shared": "^1.0.0" } });
const { env, dir: envDir } = await registryEnv(registry.url);
const cache = join(work, "npm-cache");
const npmOptions = { registry: registry.url, cache };

try {
  // The current bundle: host + PLUGINS plugins, resolved once with its lockfile (what sync leaves).
  const installed = Array.from({ length: PLUGINS }, (_, p) => `bench-plugin-${p}@^1.0.0`);
  const candidate = `bench-plugin-${PLUGINS}@^1.0.0`;
  const bundleDir = join(work, "bundle");
  await mkdir(bundleDir);
  const manifest = await createBundledManifest({ hostDir: host.dir, sources: installed, npmOptions });
  await writeFile(join(bundleDir, "package.json"), JSON.stringify(manifest, null, 2));
  await new Arborist({ ...npmOptions, path: bundleDir, ignoreScripts: true, audit: false }).reify({ packageLockOnly: true });

  const checker = createChecker({ host: host.dir, bundleDir, npmOptions });
  // For scale: the same checker with no bundle to start from resolves the whole tree (in memory).
  const fresh = createChecker({ host: host.dir, npmOptions });
  const ours = async (c = checker) => {
    const started = performance.now();
    const result = await c.check({ installed, candidate });
    const ms = performance.now() - started;
    if (!result.ok) throw new Error(`the bench plugin should be compatible:\n${bundler.renderConflicts(result.conflicts)}`);
    return ms;
  };

  let copyIndex = 0;
  const npmArgs = ["install", "--package-lock-only", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"];
  const npm = async () => {
    const dir = join(work, `npm-${copyIndex++}`);
    await mkdir(dir);
    await copyFile(join(bundleDir, "package.json"), join(dir, "package.json"));
    await copyFile(join(bundleDir, "package-lock.json"), join(dir, "package-lock.json"));
    const started = performance.now();
    // Async spawn: the registry serves from this very process, so a sync spawn would deadlock.
    const child = spawn("npm", [...npmArgs, "--registry", registry.url, "--cache", cache, candidate], { cwd: dir, env });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const status = await new Promise((resolve) => child.on("close", resolve));
    const ms = performance.now() - started;
    if (status !== 0) throw new Error(`npm install failed (${status}):\n${stderr}`);
    return ms;
  };

  // Warm both: our packument cache in memory, npm's cache on disk.
  await ours();
  await ours(fresh);
  await npm();
  const oursMs = [];
  const freshMs = [];
  const npmMs = [];
  for (let i = 0; i < RUNS; i++) {
    oursMs.push(await ours());
    freshMs.push(await ours(fresh));
    npmMs.push(await npm());
  }
  const a = median(oursMs);
  const b = median(npmMs);
  if (values.json) {
    const row = {
      id: "check-in-process",
      label: `Install check of one more plugin, in process (${PLUGINS} installed)`,
      unit: "ms",
      ours: a,
      baseline: b,
      baselineLabel: "npm install --package-lock-only --ignore-scripts --prefer-offline",
      ratio: b / a,
      ratioMeaning: "faster",
      detail: { no_lockfile_ms: median(freshMs) },
    };
    await writeFile(values.json, JSON.stringify({ rows: [row] }, null, 2));
  } else {
    console.log(`check: one new plugin against a host + ${PLUGINS} plugins in a bundle with lockfile, ${RUNS} runs each`);
    console.log(`  cosmo checker (incremental, in memory)   median ${a.toFixed(1)} ms`);
    console.log(`  cosmo checker (no lockfile, in memory)   median ${median(freshMs).toFixed(1)} ms`);
    console.log(`  npm install --package-lock-only         median ${b.toFixed(1)} ms`);
    console.log(`  ratio: ${(b / a).toFixed(1)}x faster (target >= 10x)`);
  }
} finally {
  await host.cleanup();
  await registry.close();
  await rm(envDir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
}
