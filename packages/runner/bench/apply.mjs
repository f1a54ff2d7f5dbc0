// Benchmark: applying plugins to a real runner against npm doing the same install, in one run on
// one test registry (verdaccio on loopback, fixtures from ./fixtures.mjs), runs interleaved so
// machine noise hits both sides alike. The runner is the real CLI (`cosmo-runner start`, built
// dist: run `npm run build` first) spoken to over HTTP as a user's script would; npm is the real
// npm CLI with the same registry, cache and config (registryEnv). live-plugin-manager installs
// the same plugins beside us.
//
// Rows (each a ratio with its target; see bench/run.mjs for the table):
// - incremental apply: one plugin more or less onto an applied set of 10, reload included
//   (POST /plugins/apply answers once the new worker serves), against `npm install <spec>` /
//   `npm uninstall <name>` in a directory where npm installed the same 10;
// - fresh apply of 10 on a new data dir (warm cache) against `npm install` of the same 10;
// - the install check of one more plugin through the admin API (POST /plugins/:id/install)
//   against `npm install --package-lock-only --ignore-scripts --prefer-offline <spec>`;
// - RSS of a runner serving 50 plugins (supervisor + worker) against a clean runner, and its
//   growth over --applies applies.
//
//   node packages/runner/bench/apply.mjs [--runs 7] [--fresh-runs 3] [--check-runs 10]
//     [--applies 200] [--json out.json] [--quiet] [--profile dir]
//     [--sections incremental,check,fresh,memory]   (default: all)
import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createJiti } from "jiti";
import { PluginManager } from "live-plugin-manager";
import { pluginName, writeBenchFixtures } from "./fixtures.mjs";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "7" },
    "fresh-runs": { type: "string", default: "3" },
    "check-runs": { type: "string", default: "10" },
    applies: { type: "string", default: "200" },
    json: { type: "string" },
    quiet: { type: "boolean", default: false },
    // Write a CPU profile of every runner process (supervisor and workers) into this dir.
    profile: { type: "string" },
    // Only these sections (comma-separated): incremental, check, fresh, memory.
    sections: { type: "string", default: "incremental,check,fresh,memory" },
  },
});
const SECTIONS = new Set(values.sections.split(","));
for (const name of SECTIONS) {
  if (!["incremental", "check", "fresh", "memory"].includes(name)) throw new Error(`unknown section ${name} (incremental, check, fresh, memory)`);
}
const RUNS = Number(values.runs);
const FRESH_RUNS = Number(values["fresh-runs"]);
const CHECK_RUNS = Number(values["check-runs"]);
const APPLIES = Number(values.applies);
const SET = 10;
const MANY = 50;
const log = values.quiet ? () => {} : (...args) => console.error(...args);

const here = dirname(fileURLToPath(import.meta.url));
const jiti = createJiti(import.meta.url);
const { startTestRegistry, registryEnv, BIN, stopRunner, freePort } = await jiti.import("@cosmo/test-kit");

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const spec = (i) => `${pluginName(i)}@^1.0.0`;

const work = await mkdtemp(join(tmpdir(), "cosmo-bench-apply-"));
await writeBenchFixtures(join(work, "fixtures"), MANY + 1);
const registry = await startTestRegistry({ fixturesDir: join(work, "fixtures") });
const { env, dir: envDir } = await registryEnv(registry.url);
const runners = new Set();
// Node refuses --cpu-prof in NODE_OPTIONS; given to the supervisor, cluster passes it to workers.
const execArgv = values.profile ? ["--cpu-prof", `--cpu-prof-dir=${values.profile}`] : [];

/** `cosmo-runner start ...args` as a user runs it; resolves once it prints the URL it serves. */
async function startRunner(args) {
  const child = spawn(process.execPath, [...execArgv, BIN, "start", ...args], { env: { ...env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const url = await new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      out += d;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.once("exit", () => reject(new Error(`the runner exited before listening:\n${out}\n${err}`)));
  });
  return { child, url, exited };
}

/** A runner on a data dir, with the calls the bench makes. */
async function runner(name) {
  const dataDir = join(work, name);
  await mkdir(dataDir, { recursive: true });
  const proc = await startRunner(["--port", String(await freePort()), "--data-dir", dataDir]);
  runners.add(proc);
  const token = (await readFile(join(dataDir, "admin-token"), "utf8")).trim();
  const call = async (method, path, body) => {
    const res = await fetch(`${proc.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok && res.status !== 204) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const ids = new Map();
  return {
    dataDir,
    proc,
    call,
    /** Adds and installs (checks) a plugin; returns the install's ms. */
    async install(i) {
      const record = await call("POST", "/plugins", { source: spec(i) });
      ids.set(i, record.id);
      const started = performance.now();
      await call("POST", `/plugins/${record.id}/install`);
      return performance.now() - started;
    },
    /** Uninstalls and deletes a plugin's record. */
    async remove(i) {
      await call("POST", `/plugins/${ids.get(i)}/uninstall`);
      await call("DELETE", `/plugins/${ids.get(i)}`);
      ids.delete(i);
    },
    /** POST /plugins/apply; returns its ms and answer. */
    async apply() {
      const started = performance.now();
      const body = await call("POST", "/plugins/apply");
      return { ms: performance.now() - started, body };
    },
    async stop() {
      runners.delete(proc);
      await stopRunner(proc);
    },
  };
}

/** Runs npm with the bench's registry env in `cwd`; returns its wall time in ms. */
async function npm(cwd, args) {
  const started = performance.now();
  // Async spawn: the registry serves from this very process, so a sync spawn would deadlock.
  // Scripts off on both sides: sync never runs lifecycle scripts (and the host's linked packages
  // have build scripts of their own that npm would run for a link).
  const child = spawn("npm", [...args, "--ignore-scripts", "--no-audit", "--no-fund"], { cwd, env });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const status = await new Promise((resolve) => child.on("close", resolve));
  if (status !== 0) throw new Error(`npm ${args.join(" ")} failed (${status}):\n${stderr}`);
  return performance.now() - started;
}

/**
 * A project dir for npm holding what a runner's bundle holds: the host's packages as the same
 * `file:` links and the first `count` plugins (the bundled manifest of `template`, a bundle dir).
 */
async function npmProject(name, template, count) {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  const pkg = JSON.parse(await readFile(join(template, "package.json"), "utf8"));
  for (const dep of Object.keys(pkg.dependencies)) {
    const i = /^bench-plugin-(\d+)$/.exec(dep)?.[1];
    if (i !== undefined && Number(i) >= count) delete pkg.dependencies[dep];
  }
  await writeFile(join(dir, "package.json"), JSON.stringify({ ...pkg, name }, null, 2));
  return dir;
}

/** RSS in MB of a process (Linux /proc), or NaN elsewhere. */
async function rssMb(pid) {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** The pids of a process and all its descendants (Linux /proc), e.g. a runner's supervisor, its worker and its standby. */
async function processTree(pid) {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    const children = await readFile(`/proc/${pids[i]}/task/${pids[i]}/children`, "utf8").catch(() => "");
    pids.push(...children.split(" ").filter(Boolean).map(Number));
  }
  return pids;
}

/** RSS in MB of a process and all its descendants. */
async function treeRssMb(pid) {
  let sum = 0;
  for (const p of await processTree(pid)) sum += await rssMb(p);
  return sum;
}

/** CPU time (user + system, clock ticks) of a process tree, or NaN off Linux. */
async function treeCpu(pid) {
  let sum = 0;
  for (const p of await processTree(pid)) {
    const stat = await readFile(`/proc/${p}/stat`, "utf8").catch(() => "");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    sum += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return sum;
}

/**
 * Waits until a runner is idle (its processes used < 2 ticks of CPU in 200 ms, at most 10 s):
 * after an apply the runner forks its next standby worker in the background, and npm, timed
 * next, must not pay for it (nor the next apply for npm's leftovers).
 */
async function settle(pid) {
  const until = Date.now() + 10_000;
  let before = await treeCpu(pid);
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await treeCpu(pid);
    if (!(now - before >= 2)) return;
    before = now;
  }
}

/** A live-plugin-manager instance installing into a fresh dir, from the same registry. */
function lpm(name) {
  return new PluginManager({ cwd: work, pluginsPath: join(work, name), npmRegistryUrl: registry.url.replace(/\/$/, ""), lockWait: 60_000 });
}

const result = { rows: [], info: {} };
try {
  // --- Incremental apply and the install check, on one runner with SET plugins applied.
  log("applying the first set...");
  const main = await runner("data-main");
  for (let i = 0; i < SET; i++) await main.install(i);
  await main.apply();
  const template = join(work, "template");
  await mkdir(template);
  await copyFile(join(main.dataDir, "bundle/package.json"), join(template, "package.json"));
  if (SECTIONS.has("incremental")) {
    log("incremental apply...");
    const npmDir = await npmProject("npm-incremental", template, SET);
    await npm(npmDir, ["install"]);
    const lpmSet = lpm("lpm-incremental");
    for (let i = 0; i < SET; i++) await lpmSet.install(pluginName(i), "^1.0.0");

    // Warm each path once (the new plugin's packument and tarball reach every cache).
    await main.install(SET);
    await main.apply();
    await main.remove(SET);
    await main.apply();
    await npm(npmDir, ["install", spec(SET)]);
    await npm(npmDir, ["uninstall", pluginName(SET)]);
    await lpmSet.install(pluginName(SET), "^1.0.0");
    await lpmSet.uninstall(pluginName(SET));

    const applyMs = [];
    const npmMs = [];
    const lpmMs = [];
    const reloadMs = [];
    const syncMs = [];
    const bundleMs = [];
    for (let r = 0; r < RUNS; r++) {
      for (const op of ["add", "remove"]) {
        if (op === "add") await main.install(SET);
        else await main.remove(SET);
        const { ms, body } = await main.apply();
        applyMs.push(ms);
        await settle(main.proc.child.pid);
        reloadMs.push(body.reload.took_ms);
        syncMs.push(body.sync_ms);
        bundleMs.push(body.took_ms - body.sync_ms - body.reload.took_ms);
        npmMs.push(await npm(npmDir, op === "add" ? ["install", spec(SET)] : ["uninstall", pluginName(SET)]));
        const started = performance.now();
        if (op === "add") await lpmSet.install(pluginName(SET), "^1.0.0");
        else await lpmSet.uninstall(pluginName(SET));
        lpmMs.push(performance.now() - started);
      }
    }
    result.rows.push({
      id: "apply-incremental",
      label: `Incremental apply (one plugin more or less onto ${SET}, reload included)`,
      unit: "ms",
      ours: median(applyMs),
      baseline: median(npmMs),
      baselineLabel: "npm install <spec> / npm uninstall <name>",
      ratio: median(applyMs) / median(npmMs),
      target: { op: "<=", value: 1.0 },
      detail: { bundle_ms: median(bundleMs), sync_ms: median(syncMs), reload_ms: median(reloadMs), http_ms: median(applyMs) - median(bundleMs) - median(syncMs) - median(reloadMs) },
    });
    result.rows.push({
      id: "apply-incremental-lpm",
      label: "Incremental install beside us: live-plugin-manager (no bundle, no reload)",
      unit: "ms",
      ours: median(applyMs),
      baseline: median(lpmMs),
      baselineLabel: "live-plugin-manager install / uninstall",
      ratio: median(applyMs) / median(lpmMs),
    });
  }

  // The install check through the admin API against npm resolving the same (lock only).
  if (SECTIONS.has("check")) {
    log("install check...");
    // At the bundle's depth (<dataDir>/bundle.versions/<id>), so the lock's relative links hold.
    const checkDir = join(main.dataDir, "npm-check");
    const checkMs = [];
    const npmCheckMs = [];
    await main.install(SET); // warm
    await main.remove(SET);
    for (let r = 0; r < CHECK_RUNS; r++) {
      checkMs.push(await main.install(SET));
      await main.remove(SET);
      const dir = join(checkDir, String(r));
      await mkdir(dir, { recursive: true });
      await copyFile(join(main.dataDir, "bundle/package.json"), join(dir, "package.json"));
      await copyFile(join(main.dataDir, "bundle/package-lock.json"), join(dir, "package-lock.json"));
      npmCheckMs.push(await npm(dir, ["install", "--package-lock-only", "--prefer-offline", spec(SET)]));
    }
    result.rows.push({
      id: "check-api",
      label: `Install check of one more plugin through the admin API (${SET} installed)`,
      unit: "ms",
      ours: median(checkMs),
      baseline: median(npmCheckMs),
      baselineLabel: "npm install --package-lock-only --ignore-scripts --prefer-offline",
      ratio: median(npmCheckMs) / median(checkMs),
      ratioMeaning: "faster",
      target: { op: ">=", value: 25 },
    });
  }
  await main.stop();

  // --- Fresh apply of SET plugins on a new data dir (warm cache) against npm install of the same.
  if (SECTIONS.has("fresh")) {
    log("fresh apply...");
    const freshMs = [];
    const npmFreshMs = [];
    const lpmFreshMs = [];
    const parts = { bundle: [], sync: [], reload: [] };
    for (let r = 0; r < FRESH_RUNS; r++) {
      const fresh = await runner(`data-fresh-${r}`);
      for (let i = 0; i < SET; i++) await fresh.install(i);
      // The installs leave the runner busy a moment (its standby worker starting): not the apply's time.
      await settle(fresh.proc.child.pid);
      const { ms, body } = await fresh.apply();
      freshMs.push(ms);
      parts.bundle.push(body.took_ms - body.sync_ms - body.reload.took_ms);
      parts.sync.push(body.sync_ms);
      parts.reload.push(body.reload.took_ms);
      await fresh.stop();
      const dir = await npmProject(`npm-fresh-${r}`, template, SET);
      npmFreshMs.push(await npm(dir, ["install"]));
      const manager = lpm(`lpm-fresh-${r}`);
      const started = performance.now();
      for (let i = 0; i < SET; i++) await manager.install(pluginName(i), "^1.0.0");
      lpmFreshMs.push(performance.now() - started);
    }
    result.rows.push({
      id: "apply-fresh",
      label: `Fresh apply of ${SET} plugins (new data dir, warm cache, reload included)`,
      unit: "ms",
      ours: median(freshMs),
      baseline: median(npmFreshMs),
      baselineLabel: `npm install of the same ${SET}`,
      ratio: median(freshMs) / median(npmFreshMs),
      target: { op: "<=", value: 0.5 },
      detail: { bundle_ms: median(parts.bundle), sync_ms: median(parts.sync), reload_ms: median(parts.reload), http_ms: median(freshMs) - median(parts.bundle) - median(parts.sync) - median(parts.reload) },
    });
    result.rows.push({
      id: "apply-fresh-lpm",
      label: `Fresh install of ${SET} beside us: live-plugin-manager`,
      unit: "ms",
      ours: median(freshMs),
      baseline: median(lpmFreshMs),
      baselineLabel: "live-plugin-manager install, one after another",
      ratio: median(freshMs) / median(lpmFreshMs),
    });
  }

  // --- Memory: a runner serving MANY plugins, and its growth over APPLIES applies.
  if (APPLIES > 0 && SECTIONS.has("memory")) {
    log(`memory: ${MANY} plugins, then ${APPLIES} applies...`);
    const clean = await runner("data-clean");
    const cleanApplied = await clean.apply();
    await settle(clean.proc.child.pid);
    const cleanRss = await treeRssMb(clean.proc.child.pid);
    await clean.stop();
    const many = await runner("data-many");
    for (let i = 0; i < MANY; i++) await many.install(i);
    let last = (await many.apply()).body;
    if (last.reload.plugins.active !== MANY) throw new Error(`expected ${MANY} active plugins, got ${JSON.stringify(last.reload.plugins)}`);
    // Every process of the runner: supervisor, serving worker, standby (once the runner is idle).
    const rss = async () => {
      await settle(many.proc.child.pid);
      return treeRssMb(many.proc.child.pid);
    };
    const withMany = await rss();
    const warmUp = Math.max(1, Math.min(20, Math.floor(APPLIES / 4)));
    let before = withMany;
    for (let a = 0; a < APPLIES; a++) {
      if (a % 2 === 0) await many.install(MANY);
      else await many.remove(MANY);
      last = (await many.apply()).body;
      if (a + 1 === warmUp) before = await rss();
    }
    const after = await rss();
    await many.stop();
    result.rows.push({
      id: "rss-50",
      label: `RSS of a runner serving ${MANY} plugins (supervisor, worker, standby)`,
      unit: "MB",
      ours: withMany,
      baseline: cleanRss,
      baselineLabel: "a clean runner (no plugins)",
      ratio: withMany / cleanRss,
    });
    result.rows.push({
      id: "rss-growth",
      label: `RSS growth over ${APPLIES} applies (after ${warmUp} to warm up)`,
      unit: "MB",
      ours: after,
      baseline: before,
      baselineLabel: `after ${warmUp} applies`,
      ratio: after / before,
      target: { op: "<", value: 1.1 },
    });
  }
} finally {
  for (const proc of runners) await stopRunner(proc);
  await registry.close();
  await rm(envDir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
}

if (values.json) await writeFile(values.json, JSON.stringify(result, null, 2));
else console.log(JSON.stringify(result, null, 2));
