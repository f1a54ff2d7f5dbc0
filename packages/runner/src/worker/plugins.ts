/**
 * Startup loading: the plugins of one bundle, discovered and set up in a fresh PluginService.
 * A plugin that fails is recorded as `failed` by the service and the others still load; only the
 * process-level failures of a plugin (exiting the process, blocking it) stop a worker's start.
 */
import { basename, join } from "node:path";
import { currentBundle } from "@cosmo/bundler";
import { discoverPlugins, isCosmoError, loadPlugins, PluginService, type Diagnostic, type PluginLogger } from "@cosmo/core";
import type { Storage } from "unstorage";
import type { PluginCounts } from "./messages";

/** The plugins one worker serves. */
export interface LoadedBundle {
  service: PluginService;
  /** The bundle dir loaded (realpath), or null when none was (clean start, no bundle yet). */
  bundle: string | null;
  /** The bundle's id: its dir name under `bundle.versions/`. */
  bundleId: string | null;
  /** Packages discovery had to skip (bad cosmo.json, unreadable package.json...). */
  diagnostics: Diagnostic[];
}

/**
 * The bundle a new worker should load: none for a clean start, else the current bundle's
 * realpath (resolved once, so a sync landing meanwhile cannot mix two bundles in one worker),
 * or none when nothing was ever synced: a fresh runner starts with no plugins, not an error.
 */
export async function bundleToLoad(dataDir: string, clean: boolean): Promise<string | null> {
  if (clean) return null;
  try {
    return await currentBundle(dataDir);
  } catch (error) {
    if (isCosmoError(error) && error.code === "COSMO_E_NO_BUNDLE") return null;
    throw error;
  }
}

/**
 * Discovers the plugins in `<bundle>/node_modules` and sets each up in a new PluginService whose
 * `storage` (default: memory) backs every plugin's `ctx.storage`.
 */
export async function loadBundle(bundle: string | null, logger: PluginLogger, storage?: Storage): Promise<LoadedBundle> {
  const service = new PluginService({ logger, storage });
  if (bundle === null) return { service, bundle, bundleId: null, diagnostics: [] };
  const { plugins, diagnostics } = await discoverPlugins({ roots: [join(bundle, "node_modules")] });
  for (const d of diagnostics) logger.warn(`skipped ${d.packageName ?? d.dir}: ${d.code} ${d.message}`);
  await loadPlugins(plugins, service);
  for (const info of service.list()) {
    if (info.status === "failed") logger.error(`plugin ${info.name} failed: ${info.error?.code} ${info.error?.message}`);
  }
  return { service, bundle, bundleId: basename(bundle), diagnostics };
}

/** How many plugins the service holds, and in which state. */
export function countPlugins(service: PluginService): PluginCounts {
  const list = service.list();
  return {
    total: list.length,
    active: list.filter((p) => p.status === "active").length,
    failed: list.filter((p) => p.status === "failed").length,
  };
}

/** `GET /plugins/installed`: every registered plugin with its state, and what discovery skipped. */
export function installedPlugins(loaded: LoadedBundle): unknown {
  return {
    bundle: loaded.bundleId,
    plugins: loaded.service.list().map((info) => ({
      name: info.name,
      version: info.manifest.version,
      package: info.source?.packageName,
      status: info.status,
      prefix: info.manifest.webhook_prefix,
      routes: info.routes,
      ...(info.error ? { error: info.error } : {}),
    })),
    skipped: loaded.diagnostics.map((d) => ({ package: d.packageName, code: d.code, message: d.message })),
  };
}
