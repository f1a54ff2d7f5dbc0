// Benchmark: plugin discovery over a realistic node_modules against a bare recursive readdir of
// the same tree. Discovery runs at every host start, so it should cost a fraction of walking the
// tree. Plain Node, no test runner; it imports the BUILT @cosmo/core (run `npm run build` first).
//
//   node packages/core/bench/discovery.mjs [--packages 2000] [--plugins 50] [--runs 30]
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";

let discoverPlugins;
try {
  ({ discoverPlugins } = await import("@cosmo/core"));
} catch (error) {
  console.error("Cannot import the built @cosmo/core: run `npm run build -w @cosmo/core` first.\n", error);
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    packages: { type: "string", default: "2000" },
    plugins: { type: "string", default: "50" },
    runs: { type: "string", default: "30" },
  },
});
const PACKAGES = Number(values.packages);
const PLUGINS = Number(values.plugins);
const RUNS = Number(values.runs);
const WARMUP = 5;

/** Writes files (path -> content) under dir, creating folders as needed. */
async function writeTree(dir, files) {
  const folders = new Set(Object.keys(files).map((f) => join(dir, f, "..")));
  for (const folder of folders) await mkdir(folder, { recursive: true });
  await Promise.all(Object.entries(files).map(([f, content]) => writeFile(join(dir, f), content)));
}

/** The files of one installed package; shapes vary the way a real install's do. */
function packageFiles(name, i, isPlugin) {
  const pkg = { name, version: `1.${i % 10}.${i % 7}`, main: "./lib/index.js", license: "MIT" };
  const files = {
    "package.json": JSON.stringify(pkg, null, 2),
    "README.md": `# ${name}\n\n${"Some documentation. ".repeat(20)}\n`,
    LICENSE: "MIT License\n",
    "lib/index.js": `module.exports = require("./util");\n`,
    "lib/util.js": `exports.n = ${i};\n`,
  };
  if (i % 3 === 0) Object.assign(files, { "lib/internal/a.js": "", "lib/internal/b.js": "", "types/index.d.ts": "" });
  if (i % 5 === 0) Object.assign(files, { "dist/esm/index.mjs": "", "dist/cjs/index.cjs": "", "dist/index.d.ts": "" });
  // Some packages carry their own node_modules (a version conflict npm could not hoist).
  if (i % 10 === 0) {
    Object.assign(files, {
      "node_modules/nested-dep/package.json": JSON.stringify({ name: "nested-dep", version: "0.1.0" }),
      "node_modules/nested-dep/index.js": "",
      "node_modules/nested-dep/lib/x.js": "",
    });
  }
  if (isPlugin) {
    files["cosmo.json"] = JSON.stringify({
      name: `plugin-${i}`,
      version: pkg.version,
      plugin_class: "./lib/index.js:Plugin",
      requires_webhooks: true,
      webhook_prefix: `/plugin-${i}`,
    });
  }
  return files;
}

async function generate(root) {
  const pluginEvery = Math.floor(PACKAGES / PLUGINS);
  const jobs = [];
  for (let i = 0; i < PACKAGES; i++) {
    // About one package in five is scoped, spread over 40 scopes.
    const name = i % 5 === 0 ? `@scope-${i % 40}/pkg-${i}` : `pkg-${i}`;
    const isPlugin = i % pluginEvery === 0 && i / pluginEvery < PLUGINS;
    jobs.push(() => writeTree(join(root, name), packageFiles(name, i, isPlugin)));
  }
  jobs.push(() => writeTree(join(root, ".bin"), { "pkg-1": "#!/usr/bin/env node\n", "pkg-2": "" }));
  jobs.push(() => writeFile(join(root, ".package-lock.json"), "{}"));
  // Bounded, so generating the tree does not run out of file descriptors.
  for (let i = 0; i < jobs.length; i += 100) await Promise.all(jobs.slice(i, i + 100).map((j) => j()));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function time(fn) {
  const start = performance.now();
  const result = await fn();
  return { ms: performance.now() - start, result };
}

const base = await mkdtemp(join(tmpdir(), "cosmo-bench-discovery-"));
const root = join(base, "node_modules");
try {
  await generate(root);
  const entries = (await readdir(root, { recursive: true })).length;

  const discover = () => discoverPlugins({ roots: [root] });
  const walk = () => readdir(root, { recursive: true });
  for (let i = 0; i < WARMUP; i++) {
    await discover();
    await walk();
  }

  const ours = [];
  const bare = [];
  for (let i = 0; i < RUNS; i++) {
    // Interleaved, and alternating which goes first, so drift in the machine hits both alike.
    const pair = i % 2 === 0 ? [discover, walk] : [walk, discover];
    for (const fn of pair) {
      const { ms, result } = await time(fn);
      if (fn === discover) {
        ours.push(ms);
        if (result.plugins.length !== PLUGINS || result.diagnostics.length !== 0) {
          throw new Error(`expected ${PLUGINS} plugins and no diagnostics, got ${result.plugins.length} and ${result.diagnostics.length}`);
        }
      } else bare.push(ms);
    }
  }

  const a = median(ours);
  const b = median(bare);
  console.log(`\ndiscovery: ${PACKAGES} packages (${PLUGINS} plugins), ${entries} entries in the tree, median of ${RUNS} runs`);
  const rows = [
    ["discoverPlugins", `${a.toFixed(2)} ms`],
    ["readdir recursive", `${b.toFixed(2)} ms`],
    ["ratio (ours / readdir)", a / b < 10 ? (a / b).toFixed(3) : (a / b).toFixed(1)],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  const v = Math.max(...rows.map((r) => r[1].length));
  console.log(`  ${"".padEnd(w, "-")}  ${"".padEnd(v, "-")}`);
  for (const [k, val] of rows) console.log(`  ${k.padEnd(w)}  ${val.padStart(v)}`);
  console.log(`  ${"".padEnd(w, "-")}  ${"".padEnd(v, "-")}`);
  console.log(`  found all ${PLUGINS} plugins: yes\n`);
} finally {
  await rm(base, { recursive: true, force: true });
}
