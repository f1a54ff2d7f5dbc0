// A plain node:http server that embeds @cosmo/core: it finds the plugins installed beside it,
// loads them, serves their routes, answers two routes of its own, and shuts down cleanly.
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PluginService, createRouter, discoverPlugins, loadPlugins } from "@cosmo/core";
import { toNodeListener } from "@cosmo/core/node";

const here = dirname(fileURLToPath(import.meta.url));

// Where plugins are: the host's node_modules (plugins installed with npm) and plugins/, a folder
// laid out like node_modules so this example runs without installing anything.
// COSMO_PLUGIN_ROOTS (paths separated by ":" or ";" on Windows) replaces the list.
const roots = process.env.COSMO_PLUGIN_ROOTS
  ? process.env.COSMO_PLUGIN_ROOTS.split(delimiter).map((root) => resolve(root))
  : [join(here, "node_modules"), join(here, "plugins")].filter((root) => existsSync(root));

// Each plugin sees its own entry only, as ctx.config.
const config = { greeter: { greeting: process.env.GREETING ?? "Hello" } };

const service = new PluginService({ setupTimeout: 5_000 });
service.on("failed", (info) => console.error(`plugin ${info.name} failed: ${info.error?.code} ${info.error?.message}`));

const { plugins, diagnostics } = await discoverPlugins({ roots });
// A bad package is a diagnostic, never a crash: say what is wrong and serve the others.
for (const d of diagnostics) console.error(`skipped ${d.packageName ?? d.dir}: ${d.code} ${d.message}`);
await loadPlugins(plugins, service, { config });

const router = createRouter(service);

// The host's own routes come first; everything else goes to the plugins' router, which answers
// 404 with a COSMO_E_ROUTE_NOT_FOUND body when no plugin route matches.
const plugin = toNodeListener(router.fetch);
const server = createServer((req, res) => {
  const path = new URL(req.url ?? "/", "http://host").pathname;
  if (req.method === "GET" && path === "/health") return json(res, 200, { status: "ok" });
  if (req.method === "GET" && path === "/plugins") return json(res, 200, { plugins: service.list().map(summary) });
  return plugin(req, res);
});

function summary(info) {
  return { name: info.name, status: info.status, routes: info.routes, error: info.error };
}

function json(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

const port = Number(process.env.PORT ?? 3000);
server.listen(port, "127.0.0.1", () => {
  const active = service.list().filter((p) => p.status === "active").length;
  console.log(`${active} plugin(s) active; listening on http://127.0.0.1:${server.address().port}`);
});

// Graceful shutdown: stop accepting connections, let in-flight requests finish, then tear the
// plugins down (last loaded first) so they can close what they opened.
let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: shutting down`);
  await new Promise((done) => server.close(done));
  await service.shutdown();
  router.close();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
