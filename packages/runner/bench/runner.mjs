// Benchmark: what Cosmo adds to a runner, in one run on the same tree.
//
// 1. A plugin route against a bare h3 route, in one h3 app: `GET /bare` is an h3 route; `GET
//    /p/hello` is a plugin's route registered in a PluginService and mounted as the worker
//    mounts it: on h3 itself (mountPluginRoutes), with core's router behind the catch-all for
//    what that does not take. Requests go through `app.fetch(new Request(...))`, no sockets, so
//    the difference is Cosmo's dispatch and not the kernel's. More rows: the same plugin through
//    core's router alone behind a catch-all (what an embedding host mounts), and from the
//    runner's own worker app (createWorkerApp: admin routes, Host guard, body limit). Optionally
//    the bare/plugin pair over real HTTP on 127.0.0.1 (node:http + h3's toNodeHandler, keep-alive).
// 2. Startup with N plugins against a clean start: what a worker does before it listens
//    (loadBundle: discoverPlugins + loadPlugins into a fresh PluginService, then createRouter)
//    over a generated bundle of N plugins among a few hundred other packages, against the same
//    with no bundle. Each start is a fresh `node` process (ESM caches imports, so a second load
//    in one process would be free) that times itself and prints JSON; clean and N are interleaved.
//
// Plain Node, no test runner; it imports the BUILT cosmo-runner and @cosmo/core (run
// `npm run build` first). It prints ratios; it is not a timed test.
//
//   node packages/runner/bench/runner.mjs [--rounds 20] [--requests 2000] [--http-rounds 10]
//     [--http-requests 500] [--plugins 50] [--packages 300] [--starts 15]
//     [--sections route,startup]   (default: both)
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { Agent, createServer, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

let core;
let runner;
let internals;
let h3;
let h3node;
let FastResponse;
try {
  [core, runner, internals, h3, h3node, { FastResponse }] = await Promise.all([
    import("@cosmo/core"),
    import("cosmo-runner"),
    // A worker's own pieces are not the runner's API; the build keeps them for this bench.
    import(new URL("../dist/bench-internals.js", import.meta.url).href),
    import("h3"),
    import("h3/node"),
    import("srvx"),
  ]);
} catch (error) {
  console.error("Cannot import the built cosmo-runner / @cosmo/core: run `npm run build` first.\n", error);
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "20" },
    requests: { type: "string", default: "2000" },
    "http-rounds": { type: "string", default: "10" },
    "http-requests": { type: "string", default: "500" },
    plugins: { type: "string", default: "50" },
    packages: { type: "string", default: "300" },
    starts: { type: "string", default: "15" },
    // Write the rows as JSON here (bench/run.mjs reads them) and print no tables.
    json: { type: "string" },
    // Write a CPU profile of each timed worker start into this dir.
    profile: { type: "string" },
    // Only these sections (comma-separated): route, startup.
    sections: { type: "string", default: "route,startup" },
    // Internal: run one timed worker start (bundle dir, or "" for a clean start) and print JSON.
    child: { type: "string" },
  },
});

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// Rows for bench/run.mjs's one table (see there for their shape).
const jsonRows = [];

/** Prints rows of [label, value] as a small two-column table. */
function table(title, rows) {
  if (values.json) return;
  console.log(`\n${title}`);
  const w = Math.max(...rows.map((r) => r[0].length));
  const v = Math.max(...rows.map((r) => r[1].length));
  console.log(`  ${"".padEnd(w, "-")}  ${"".padEnd(v, "-")}`);
  for (const [k, val] of rows) console.log(`  ${k.padEnd(w)}  ${val.padStart(v)}`);
  console.log(`  ${"".padEnd(w, "-")}  ${"".padEnd(v, "-")}`);
}

const ratio = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(1));

// ---------------------------------------------------------------------------------------------
// Child mode: one worker start, timed from inside the process (imports excluded: they are the
// same for a clean start and a start with plugins), then checked, then reported on stdout.
if (values.child !== undefined) {
  const bundle = values.child === "" ? null : values.child;
  const started = performance.now();
  const loaded = await internals.loadBundle(bundle, quiet);
  const router = core.createRouter(loaded.service);
  const ms = performance.now() - started;
  // When this process could serve: spawn -> ready is the start the parent reports.
  const readyAt = performance.timeOrigin + performance.now();
  const counts = internals.countPlugins(loaded.service);
  // Not timed: the plugins really answer (the first and the last one loaded).
  let answered = 0;
  for (const info of loaded.service.list().filter((_, i, all) => i === 0 || i === all.length - 1)) {
    const res = await router.fetch(new Request(`http://127.0.0.1${info.manifest.webhook_prefix}/hello`));
    if (res.status === 200 && (await res.json()).ok === true) answered++;
  }
  process.stdout.write(JSON.stringify({ ms, readyAt, ...counts, diagnostics: loaded.diagnostics.length, answered }));
  await loaded.service.shutdown();
  router.close();
  process.exit(0);
}

const SECTIONS = new Set(values.sections.split(","));
for (const name of SECTIONS) if (!["route", "startup"].includes(name)) throw new Error(`unknown section ${name} (route, startup)`);
const ROUNDS = Number(values.rounds);
const REQUESTS = Number(values.requests);
const HTTP_ROUNDS = Number(values["http-rounds"]);
const HTTP_REQUESTS = Number(values["http-requests"]);
const PLUGINS = Number(values.plugins);
const PACKAGES = Number(values.packages);
const STARTS = Number(values.starts);

// ---------------------------------------------------------------------------------------------
// 1. Plugin route against bare h3 route.

/** Runs the named series interleaved, rotating which goes first; returns the samples of each. */
async function interleaved(names, rounds, run) {
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(r + k) % names.length];
      samples[name].push(await run(name));
    }
  }
  return samples;
}

if (SECTIONS.has("route")) {
  const { H3 } = h3;
  const { PluginService, createRouter, definePlugin, validateManifest } = core;

  const manifest = validateManifest(
    { name: "bench-plugin", version: "1.0.0", plugin_class: "./index.js:Plugin", requires_webhooks: true, webhook_prefix: "/p" },
    "bench-plugin",
  );
  const helloPlugin = () =>
    definePlugin({
      setup(ctx) {
        ctx.route("GET", "/hello", () => ({ ok: true }));
      },
    });

  // The app the brief names: a bare h3 route and the plugin's route mounted as the worker mounts
  // it (worker/app.ts): on h3 itself, core's router behind the catch-all, answers built as
  // srvx's FastResponse.
  const service = new PluginService({ logger: quiet });
  const info = await service.register(helloPlugin(), { manifest });
  if (info.status !== "active") throw new Error(`the bench plugin did not load: ${JSON.stringify(info.error)}`);
  const router = createRouter(service, { Response: FastResponse });
  const app = new H3({ silent: true });
  app.get("/bare", () => ({ ok: true }));
  // The same answer as a web Response: over node:http, h3 writes a plain value straight out but
  // must pipe a web Response's body, so this row tells that cost apart from Cosmo's own.
  app.get("/bare-response", () => new Response(JSON.stringify({ ok: true }), { headers: { "content-type": "application/json;charset=UTF-8" } }));
  app.all("/**", (event) => router.fetch(event.req));
  const mounted = internals.mountPluginRoutes(app, service, { fallback: router, Response: FastResponse });
  // What a host embedding core mounts: core's router alone, behind a catch-all.
  const routerApp = new H3({ silent: true });
  routerApp.all("/**", (event) => router.fetch(event.req));

  // The runner's own worker app over a second service with the same plugin (guards and all).
  const workerService = new PluginService({ logger: quiet });
  await workerService.register(helloPlugin(), { manifest });
  const workerData = await mkdtemp(join(tmpdir(), "cosmo-bench-runner-data-"));
  const worker = internals.createWorkerApp({
    store: await runner.createPluginStore("memory:", { dataDir: workerData }),
    token: "bench-token-0123456789abcdef0123456789abcdef",
    loaded: { service: workerService, bundle: null, bundleId: null, diagnostics: [] },
    clean: false,
    logger: quiet,
  });

  const series = {
    bare: { fetch: (u) => app.fetch(new Request(u)), path: "/bare" },
    bareResponse: { fetch: (u) => app.fetch(new Request(u)), path: "/bare-response" },
    plugin: { fetch: (u) => app.fetch(new Request(u)), path: "/p/hello" },
    router: { fetch: (u) => routerApp.fetch(new Request(u)), path: "/p/hello" },
    worker: { fetch: (u) => worker.app.fetch(new Request(u)), path: "/p/hello" },
  };

  // Every series must answer 200 {"ok":true} before it is timed.
  for (const [name, s] of Object.entries(series)) {
    const res = await s.fetch(`http://127.0.0.1${s.path}`);
    const body = await res.text();
    if (res.status !== 200 || JSON.parse(body).ok !== true) throw new Error(`${name}: ${res.status} ${body}`);
  }

  /** µs per request over `count` sequential requests (body read, as a server would send it). */
  async function perRequest(s, count) {
    const url = `http://127.0.0.1${s.path}`;
    const started = performance.now();
    for (let i = 0; i < count; i++) await (await s.fetch(url)).text();
    return ((performance.now() - started) * 1000) / count;
  }


  const names = Object.keys(series);
  await interleaved(names, 3, (n) => perRequest(series[n], REQUESTS)); // warm-up (JIT)
  const inProcess = await interleaved(names, ROUNDS, (n) => perRequest(series[n], REQUESTS));
  const bare = median(inProcess.bare);
  const plugin = median(inProcess.plugin);
  const workerMs = median(inProcess.worker);
  const routerMs = median(inProcess.router);
  const bareResponse = median(inProcess.bareResponse);
  table(`route: in process (app.fetch, no sockets), ${ROUNDS} rounds x ${REQUESTS} requests, median per request`, [
    ["bare h3 route (GET /bare)", `${bare.toFixed(2)} µs`],
    ["bare h3 route returning a Response", `${bareResponse.toFixed(2)} µs`],
    ["plugin route, mounted on h3 (GET /p/hello)", `${plugin.toFixed(2)} µs`],
    ["plugin route via core's router behind a catch-all", `${routerMs.toFixed(2)} µs`],
    ["plugin route in createWorkerApp (guards)", `${workerMs.toFixed(2)} µs`],
    ["cosmo overhead per request (plugin - bare)", `${(plugin - bare).toFixed(2)} µs`],
    ["ratio (plugin / bare)", ratio(plugin / bare)],
    ["ratio (worker app / bare)", ratio(workerMs / bare)],
    ["ratio (core router alone / bare)", ratio(routerMs / bare)],
  ]);
  jsonRows.push({
    id: "route-in-process",
    label: "Plugin route against a bare h3 route, in process (app.fetch)",
    unit: "µs",
    ours: plugin,
    baseline: bare,
    baselineLabel: "bare h3 route",
    ratio: bare / plugin,
    ratioMeaning: "throughput, plugin / bare",
  });

  // Over real HTTP: node:http + toNodeHandler on loopback, one keep-alive connection, sequential.
  if (HTTP_ROUNDS > 0 && HTTP_REQUESTS > 0) {
    const server = createServer(h3node.toNodeHandler(app));
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path) =>
      new Promise((resolve, reject) => {
        const req = httpRequest({ host: "127.0.0.1", port, path, agent }, (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk) => (body += chunk));
          res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${path}: ${res.statusCode} ${body}`))));
        });
        req.on("error", reject);
        req.end();
      });
    // Wall time per request, and CPU time (this process runs client and server alike, so its
    // CPU time is the whole request's work; unlike wall time it does not grow when other
    // processes take the cores: on a loaded machine it is the figure that still compares).
    const wall = { bare: [], bareResponse: [], plugin: [] };
    const overHttp = async (name, path) => {
      const started = performance.now();
      const cpu = process.cpuUsage();
      for (let i = 0; i < HTTP_REQUESTS; i++) await get(path);
      const used = process.cpuUsage(cpu);
      wall[name].push(((performance.now() - started) * 1000) / HTTP_REQUESTS);
      return (used.user + used.system) / HTTP_REQUESTS;
    };
    try {
      const paths = { bare: "/bare", bareResponse: "/bare-response", plugin: "/p/hello" };
      await interleaved(Object.keys(paths), 2, (n) => overHttp(n, paths[n]));
      for (const samples of Object.values(wall)) samples.length = 0;
      const http = await interleaved(Object.keys(paths), HTTP_ROUNDS, (n) => overHttp(n, paths[n]));
      const hb = median(http.bare);
      const hr = median(http.bareResponse);
      const hp = median(http.plugin);
      const [wb, wp] = [median(wall.bare), median(wall.plugin)];
      table(`route: over HTTP (127.0.0.1, keep-alive, sequential), ${HTTP_ROUNDS} rounds x ${HTTP_REQUESTS} requests, median CPU time per request`, [
        ["bare h3 route (GET /bare)", `${hb.toFixed(1)} µs`],
        ["bare h3 route returning a Response", `${hr.toFixed(1)} µs`],
        ["plugin route, mounted on h3 (GET /p/hello)", `${hp.toFixed(1)} µs`],
        ["cosmo overhead per request (plugin - bare)", `${(hp - hb).toFixed(1)} µs`],
        ["  of which Response piping (bare Response - bare)", `${(hr - hb).toFixed(1)} µs`],
        ["ratio (plugin / bare)", ratio(hp / hb)],
        ["ratio (plugin / bare Response)", ratio(hp / hr)],
        ["wall time: bare / plugin", `${wb.toFixed(1)} / ${wp.toFixed(1)} µs (ratio ${ratio(wp / wb)})`],
      ]);
      jsonRows.push({
        id: "route-http",
        label: "Plugin route against a bare h3 route, over HTTP (keep-alive, sequential; CPU time per request)",
        unit: "µs",
        ours: hp,
        baseline: hb,
        baselineLabel: "bare h3 route",
        ratio: hb / hp,
        ratioMeaning: "throughput, plugin / bare",
        target: { op: ">=", value: 0.9 },
        detail: { bare_response_us: hr, wall_bare_us: wb, wall_plugin_us: wp, wall_ratio: wb / wp },
      });
    } finally {
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  }
  mounted.close();
  router.close();
  worker.router.close();
  await service.shutdown();
  await workerService.shutdown();
  await rm(workerData, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// 2. Startup with N plugins against a clean start.

/** Writes files (path -> content) under dir, creating folders as needed. */
async function writeTree(dir, files) {
  const folders = new Set(Object.keys(files).map((f) => join(dir, f, "..")));
  for (const folder of folders) await mkdir(folder, { recursive: true });
  await Promise.all(Object.entries(files).map(([f, content]) => writeFile(join(dir, f), content)));
}

/** One plugin package: plain ESM, a class whose setup registers one route under its own prefix. */
function pluginFiles(i) {
  const name = `bench-plugin-${i}`;
  return {
    "package.json": JSON.stringify({ name, version: "1.0.0", type: "module", main: "./index.js", license: "MIT" }),
    "cosmo.json": JSON.stringify({ name, version: "1.0.0", plugin_class: "./index.js:Plugin", requires_webhooks: true, webhook_prefix: `/bench-${i}` }),
    "index.js": `export class Plugin {\n  setup(ctx) {\n    ctx.route("GET", "/hello", () => ({ ok: true, plugin: ${i} }));\n  }\n}\n`,
  };
}

/** One ordinary package; shapes vary a little the way a real install's do. */
function packageFiles(name, i) {
  const files = {
    "package.json": JSON.stringify({ name, version: `1.${i % 10}.${i % 7}`, main: "./lib/index.js", license: "MIT" }),
    "README.md": `# ${name}\n`,
    "lib/index.js": `module.exports = require("./util");\n`,
    "lib/util.js": `exports.n = ${i};\n`,
  };
  if (i % 5 === 0) Object.assign(files, { "dist/index.mjs": "", "dist/index.d.ts": "" });
  if (i % 10 === 0) {
    Object.assign(files, {
      "node_modules/nested-dep/package.json": JSON.stringify({ name: "nested-dep", version: "0.1.0" }),
      "node_modules/nested-dep/index.js": "",
    });
  }
  return files;
}

if (SECTIONS.has("startup")) {
  const base = await mkdtemp(join(tmpdir(), "cosmo-bench-runner-"));
  const bundle = join(base, "bundle");
  try {
    const jobs = [];
    for (let i = 0; i < PLUGINS; i++) jobs.push(() => writeTree(join(bundle, "node_modules", `bench-plugin-${i}`), pluginFiles(i)));
    for (let i = 0; i < PACKAGES; i++) {
      const name = i % 5 === 0 ? `@scope-${i % 20}/pkg-${i}` : `pkg-${i}`;
      jobs.push(() => writeTree(join(bundle, "node_modules", name), packageFiles(name, i)));
    }
    for (let i = 0; i < jobs.length; i += 100) await Promise.all(jobs.slice(i, i + 100).map((j) => j()));

    const self = fileURLToPath(import.meta.url);
    const start = (dir) => {
      const started = performance.now();
      const spawnedAt = performance.timeOrigin + started;
      const profile = values.profile ? ["--cpu-prof", `--cpu-prof-dir=${values.profile}`] : [];
      const child = spawnSync(process.execPath, [...profile, self, "--child", dir], { encoding: "utf8" });
      const wallMs = performance.now() - started;
      if (child.status !== 0) throw new Error(`worker start (${dir || "clean"}) exited ${child.status}:\n${child.stderr}`);
      const result = JSON.parse(child.stdout);
      const expected = dir ? PLUGINS : 0;
      if (result.active !== expected || result.failed !== 0 || result.diagnostics !== 0 || result.answered !== Math.min(expected, 2)) {
        throw new Error(`worker start (${dir || "clean"}): expected ${expected} active plugins answering, got ${child.stdout}`);
      }
      return { ...result, wallMs, readyMs: result.readyAt - spawnedAt };
    };

    const modes = { clean: "", plugins: bundle };
    await interleaved(["clean", "plugins"], 2, (n) => start(modes[n])); // warm-up (disk cache)
    const starts = await interleaved(["clean", "plugins"], STARTS, (n) => start(modes[n]));
    const clean = median(starts.clean.map((s) => s.ms));
    const withPlugins = median(starts.plugins.map((s) => s.ms));
    const cleanWall = median(starts.clean.map((s) => s.wallMs));
    const pluginsWall = median(starts.plugins.map((s) => s.wallMs));
    const cleanReady = median(starts.clean.map((s) => s.readyMs));
    const pluginsReady = median(starts.plugins.map((s) => s.readyMs));
    table(
      `startup: ${PLUGINS} plugins among ${PACKAGES} other packages against a clean start, ${STARTS} fresh processes each, medians`,
      [
        ["clean start (loadBundle(null) + createRouter)", `${clean.toFixed(2)} ms`],
        [`${PLUGINS} plugins (loadBundle + createRouter)`, `${withPlugins.toFixed(2)} ms`],
        ["difference per plugin", `${((withPlugins - clean) / PLUGINS).toFixed(3)} ms`],
        [`ratio (${PLUGINS} plugins / clean)`, ratio(withPlugins / clean)],
        ["whole process, clean (spawn to exit)", `${cleanWall.toFixed(1)} ms`],
        [`whole process, ${PLUGINS} plugins (spawn to exit)`, `${pluginsWall.toFixed(1)} ms`],
        ["whole process: difference per plugin", `${((pluginsWall - cleanWall) / PLUGINS).toFixed(3)} ms`],
        [`whole process: ratio (${PLUGINS} plugins / clean)`, ratio(pluginsWall / cleanWall)],
        ["spawn to ready, clean", `${cleanReady.toFixed(1)} ms`],
        [`spawn to ready, ${PLUGINS} plugins`, `${pluginsReady.toFixed(1)} ms`],
        [`spawn to ready: ratio (${PLUGINS} plugins / clean)`, ratio(pluginsReady / cleanReady)],
      ],
    );
    if (!values.json) console.log(`  every ${PLUGINS}-plugin start had all ${PLUGINS} active, none failed, routes answering: yes\n`);
    jsonRows.push({
      id: "startup",
      label: `Worker start with ${PLUGINS} plugins (among ${PACKAGES} packages), spawn to ready`,
      unit: "ms",
      ours: pluginsReady,
      baseline: cleanReady,
      baselineLabel: "a clean start (no plugins)",
      ratio: pluginsReady / cleanReady,
      target: { op: "<=", value: 1.2 },
      detail: { load_ms: withPlugins, clean_load_ms: clean, spawn_to_exit_ms: pluginsWall, clean_spawn_to_exit_ms: cleanWall },
    });
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}
if (values.json) await writeFile(values.json, JSON.stringify({ rows: jsonRows }, null, 2));
