/**
 * Startup loading: the plugins of one bundle, discovered and set up in a fresh PluginService
 * (which bundle: bundle-to-load.ts).
 * A plugin that fails is recorded as `failed` by the service and the others still load; only the
 * process-level failures of a plugin (exiting the process, blocking it) stop a worker's start.
 */
import { basename, join } from "node:path";
import { createError, discoverPlugins, loadPlugins, PluginService, type Diagnostic, type PluginLogger } from "@cosmo/core";
import type { Storage } from "unstorage";
import type { ContainmentState, SetAside } from "../containment/state";
import type { FaultPlugin } from "./fault";
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
  /** Plugins in the bundle that were not loaded: disabled by a user or quarantined. */
  setAside: (SetAside & { plugin: string; version: string })[];
}

/** What `loadBundle` also takes: what is set aside, and who wants to know the plugins first. */
export interface LoadBundleOptions {
  storage?: Storage;
  /** Disabled and quarantined packages (default: none). */
  containment?: ContainmentState;
  /** Called with every plugin discovered, before any is imported (attribution needs the packages). */
  onDiscovered?(plugins: FaultPlugin[]): void;
  /** Told the service as soon as it exists. */
  onService?(service: PluginService): void;
}

/**
 * Discovers the plugins in `<bundle>/node_modules` and sets each up in a new PluginService whose
 * `storage` (default: memory) backs every plugin's `ctx.storage`.
 */
export async function loadBundle(bundle: string | null, logger: PluginLogger, options: LoadBundleOptions = {}): Promise<LoadedBundle> {
  const service = new PluginService({ logger, storage: options.storage });
  options.onService?.(service);
  if (bundle === null) return { service, bundle, bundleId: null, diagnostics: [], setAside: [] };
  const { plugins, diagnostics } = await discoverPlugins({ roots: [join(bundle, "node_modules")] });
  for (const d of diagnostics) logger.warn(`skipped ${d.packageName ?? d.dir}: ${d.code} ${d.message}`);
  const aside = options.containment?.plugins ?? {};
  const setAside: LoadedBundle["setAside"] = [];
  const toLoad = plugins.filter((p) => {
    const entry = Object.hasOwn(aside, p.packageName) ? aside[p.packageName] : undefined;
    if (!entry) return true;
    setAside.push({ ...entry, plugin: p.manifest.name, version: p.manifest.version });
    logger.warn(`plugin ${p.manifest.name} (${p.packageName}) is ${entry.state}, not loaded: ${entry.reason}`);
    return false;
  });
  options.onDiscovered?.(toLoad.map((p) => ({ name: p.manifest.name, package: p.packageName })));
  // A plugin that fails is logged by the service itself, with its code, as it fails.
  await loadPlugins(toLoad, service);
  return { service, bundle, bundleId: basename(bundle), diagnostics, setAside };
}

/** How many plugins the bundle holds, and in which state. */
export function countPlugins(from: PluginService | Pick<LoadedBundle, "service" | "setAside">): PluginCounts {
  const loaded = from instanceof PluginService ? { service: from, setAside: [] } : from;
  const list = loaded.service.list();
  const aside = loaded.setAside;
  return {
    total: list.length + aside.length,
    active: list.filter((p) => p.status === "active").length,
    failed: list.filter((p) => p.status === "failed").length,
    quarantined: aside.filter((p) => p.state === "quarantined").length,
    disabled: aside.filter((p) => p.state === "disabled").length,
  };
}

/** `GET /plugins/installed`: every registered plugin with its state, and what discovery skipped. */
export function installedPlugins(loaded: LoadedBundle): unknown {
  return {
    bundle: loaded.bundleId,
    plugins: [
      ...loaded.service.list().map((info) => ({
      name: info.name,
      version: info.manifest.version,
      package: info.source?.packageName,
      status: info.status,
      prefix: info.manifest.webhook_prefix,
      routes: info.routes,
      ...(info.error ? { error: info.error } : {}),
    })),
    ...loaded.setAside.map((entry) => ({
      name: entry.plugin,
      version: entry.version,
      package: entry.package,
      status: entry.state,
      routes: [],
      ...(entry.state === "quarantined" ? { error: quarantineError(entry), quarantine: { reason: entry.reason, code: entry.code, at: entry.at, count: entry.count } } : {}),
      ...(entry.state === "disabled" ? { disabled: { at: entry.at } } : {}),
    })),
    ],
    skipped: loaded.diagnostics.map((d) => ({ package: d.packageName, code: d.code, message: d.message })),
  };
}

/** The coded error a quarantined plugin is listed with. */
export function quarantineError(entry: SetAside): { code: string; message: string; details?: Record<string, unknown> } {
  const error = createError("COSMO_E_PLUGIN_QUARANTINED", {
    plugin: entry.plugin ?? entry.package,
    package: entry.package,
    reason: entry.reason,
    count: entry.count ?? 1,
    at: entry.at,
    ...(entry.code ? { fault: entry.code } : {}),
  });
  return error.toJSON().error;
}
