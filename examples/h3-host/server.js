// An h3 v2 app that embeds Cosmo: routes of its own under /api, the plugins' routes wherever
// their webhook_prefix says, and an endpoint that asks @cosmo/bundler whether a plugin could be
// installed next to the ones already tracked, without installing anything.
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { check, listTracked, loadNpmConfig, renderConflicts } from "@cosmo/bundler";
import { PluginService, createError, createRouter, discoverPlugins, errorResponse, isCosmoError, loadPlugins } from "@cosmo/core";
import { H3, readBody, toNodeHandler } from "h3";

const hostDir = dirname(fileURLToPath(import.meta.url));
// Where the tracking file lives: <dataDir>/plugins/installed_plugins.txt.
const dataDir = resolve(process.env.COSMO_DATA_DIR ?? join(hostDir, ".data"));

// --- plugins -----------------------------------------------------------------------------
const roots = [join(hostDir, "node_modules"), join(hostDir, "plugins")].filter((root) => existsSync(root));
const service = new PluginService();
const { plugins, diagnostics } = await discoverPlugins({ roots });
for (const d of diagnostics) console.error(`skipped ${d.packageName ?? d.dir}: ${d.code} ${d.message}`);
await loadPlugins(plugins, service);
const router = createRouter(service);

// --- the app -----------------------------------------------------------------------------
const app = new H3({
  // Errors are answered (and logged where useful) below; h3 need not print them too.
  silent: true,
  // Every Cosmo error leaves in its one shape, { error: { code, message, details } }, with its
  // status. h3 wraps what a handler throws in an HTTPError: the Cosmo error is its cause.
  onError: (error) => {
    const cause = isCosmoError(error) ? error : error.cause;
    if (isCosmoError(cause)) return errorResponse(cause);
    console.error(error);
  },
});

app.get("/api/plugins", () => ({
  plugins: service.list().map(({ name, status, routes, error }) => ({ name, status, routes, error })),
}));

// Takes a plugin out of service. Its routes stop answering at once: the router follows the
// PluginService, which is why plugin routes are mounted as a fetch function (below).
// A real host would put this behind authentication.
app.delete("/api/plugins/:name", async (event) => {
  const info = await service.unregister(event.context.params?.name ?? "");
  return { name: info.name, status: info.status };
});

// Would this source install cleanly next to the tracked plugins? 200 { ok: true } or
// 409 with every conflict as data (the CLI-style text goes to the log).
let npmOptions;
app.post("/api/check", async (event) => {
  const body = await readBody(event).catch(() => undefined);
  const source = typeof body?.source === "string" ? body.source.trim() : "";
  if (!source) {
    throw createError("COSMO_E_BODY_INVALID", { summary: "source: expected a non-empty string", issues: [{ field: "source" }] });
  }
  // The user's npm config (registry, scoped registries, tokens, cache), read as npm reads it.
  npmOptions ??= await loadNpmConfig({ cwd: hostDir });
  const installed = await listTracked(dataDir);
  const result = await check({ host: hostDir, dataDir, npmOptions, installed, candidate: source });
  if (result.ok) return { ok: true, source, installed, conflicts: [] };
  console.error(renderConflicts(result.conflicts));
  const summary = result.conflicts.map((c) => c.message).join("; ");
  throw createError("COSMO_E_CONFLICT", { source, summary, conflicts: result.conflicts });
});

// Everything the app does not answer itself goes to the plugins. mount() with a fetch function
// (not an H3 app, whose routes mount() would copy once) asks the router on every request, so
// plugins that come and go are served as they are. Static routes above still win.
app.mount("/", router);

// --- serve -------------------------------------------------------------------------------
const server = createServer(toNodeHandler(app));
server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  await new Promise((done) => server.close(done));
  await service.shutdown();
  router.close();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
