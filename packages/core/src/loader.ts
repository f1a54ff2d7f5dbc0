/**
 * Turns a discovered package into a running plugin: host-range check, module resolution,
 * import, export pick, instantiation, then `service.register`. Each step has its own coded
 * error, and every failure is recorded in the service as a failed plugin, never thrown.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import semver from "semver";
import { awaitAsPlugin, callAsPlugin, runAsPlugin } from "./attribution";
import type { DiscoveredPlugin } from "./discovery";
import { createError, errorMessage, isCosmoError, type CosmoError } from "./errors";
import { describeValue, isPluginInstance } from "./lifecycle";
import { parsePluginClass, type Manifest } from "./manifest";
import { isCommonJs, moduleLabel, resolvePluginFile } from "./module-resolve";
import type { PluginService } from "./service";
import type { PluginInfo, PluginSource } from "./service-types";
import { coreVersion } from "./version";

/** Options of `loadPlugin` / `loadPlugins`. */
export interface LoadOptions {
  /** Per-plugin config, keyed by plugin name; each plugin sees its own entry only. */
  config?: Record<string, Record<string, unknown> | undefined>;
  /** Overrides the service's setup timeout for these plugins (ms). */
  setupTimeout?: number;
  /** The core version to check `cosmo` ranges against; default: this @cosmo/core's version. */
  coreVersion?: string;
}

/**
 * True when @cosmo/core `version` is one the manifest's `cosmo` range accepts (absent = any;
 * prereleases included). The one rule the loader and the install check share.
 */
export function hostRangeSatisfied(manifest: Pick<Manifest, "cosmo">, version: string = coreVersion): boolean {
  return manifest.cosmo === undefined || semver.satisfies(version, manifest.cosmo, { includePrerelease: true });
}

/** Throws COSMO_E_HOST_RANGE unless `version` satisfies the manifest's `cosmo` range (prereleases included). */
export function checkHostRange(manifest: Manifest, version: string = coreVersion): void {
  if (!hostRangeSatisfied(manifest, version)) {
    throw createError("COSMO_E_HOST_RANGE", { plugin: manifest.name, range: manifest.cosmo, version });
  }
}

// Node 20.19+ loads an ES module with require() (process.features.require_module), in one
// synchronous pass: resolve, read, compile, evaluate. import() takes the same steps through
// promises and the fs thread pool (a file read alone is four round trips), one plugin after
// the other: 50 plugins loaded about a third faster with require (measured, see the docs'
// performance page). The module lands in the same ES module map, so a later import() of it
// gets the same instance.
const requireModule = process.features.require_module ? createRequire(import.meta.url) : undefined;

// What require() refuses where import() succeeds: a graph with top-level await, a module an
// import() elsewhere is loading right now. Such a module goes through import() instead.
const REQUIRE_REFUSALS = new Set(["ERR_REQUIRE_ASYNC_MODULE", "ERR_REQUIRE_CYCLE_MODULE", "ERR_REQUIRE_ESM"]);

// Dynamic import by file URL so Windows paths and symlinked packages load from their realpath.
async function importModule(file: string, plugin: string, label: string, esm: boolean): Promise<Record<string, unknown>> {
  if (esm && requireModule) {
    try {
      // Synchronous, so the module's top-level code runs inside the plugin's call: attributed
      // like a setup, and a watchdog sees exactly this plugin running if it blocks.
      return callAsPlugin(plugin, () => requireModule(file)) as Record<string, unknown>;
    } catch (error) {
      if (!REQUIRE_REFUSALS.has((error as { code?: unknown } | null)?.code as string)) {
        throw createError("COSMO_E_PLUGIN_IMPORT_FAILED", { plugin, module: label, reason: errorMessage(error) }, { cause: error });
      }
    }
  }
  try {
    // The module's top-level code is the plugin's too (a process.exit there is its fault).
    return (await awaitAsPlugin(plugin, () => import(pathToFileURL(file).href))) as Record<string, unknown>;
  } catch (error) {
    throw createError("COSMO_E_PLUGIN_IMPORT_FAILED", { plugin, module: label, reason: errorMessage(error) }, { cause: error });
  }
}

/**
 * Picks the named export. For CommonJS, `module.exports` is the default export and its
 * properties count as named exports, even those Node's static analysis of the file missed.
 */
function pickExport(ns: Record<string, unknown>, exportName: string, cjs: boolean): { found: boolean; value: unknown } {
  if (exportName in ns) return { found: true, value: ns[exportName] };
  const exportsObject = ns.default;
  if (cjs && exportName !== "default" && (typeof exportsObject === "object" || typeof exportsObject === "function") && exportsObject !== null) {
    if (exportName in exportsObject) return { found: true, value: (exportsObject as Record<string, unknown>)[exportName] };
  }
  return { found: false, value: undefined };
}

// A class is told from a plain function by its source (`class ...`) or, for ES5-style
// constructors and transpiled classes, by a `setup` method on its prototype.
function isClass(value: unknown): value is new () => unknown {
  if (typeof value !== "function") return false;
  if (/^class[\s{]/.test(Function.prototype.toString.call(value))) return true;
  const proto = (value as { prototype?: { setup?: unknown } }).prototype;
  return typeof proto?.setup === "function";
}

/** Makes a plugin instance out of an export: `new` for a class, an object with setup() as is. */
function instantiate(value: unknown, plugin: string, exportName: string): unknown {
  if (isClass(value)) {
    let instance: unknown;
    try {
      instance = runAsPlugin(plugin, () => new value());
    } catch (error) {
      throw createError("COSMO_E_PLUGIN_CONSTRUCTOR_FAILED", { plugin, reason: errorMessage(error) }, { cause: error });
    }
    if (isPluginInstance(instance)) return instance;
    throw createError("COSMO_E_PLUGIN_EXPORT_INVALID", { plugin, export: exportName, found: "a class whose instances have no setup() method" });
  }
  if (isPluginInstance(value)) return value;
  throw createError("COSMO_E_PLUGIN_EXPORT_INVALID", { plugin, export: exportName, found: describeValue(value) });
}

/** Checks the host range, resolves and imports the plugin's module, and picks the export named. */
async function importExport(discovered: DiscoveredPlugin, options: LoadOptions): Promise<{ value: unknown; exportName: string }> {
  const { manifest, dir, packageJson } = discovered;
  const plugin = manifest.name;
  checkHostRange(manifest, options.coreVersion);
  const { module, exportName } = parsePluginClass(manifest.plugin_class);
  const label = moduleLabel(packageJson, module);
  const file = resolvePluginFile(dir, packageJson, module);
  if (file === undefined) throw createError("COSMO_E_PLUGIN_MODULE_NOT_FOUND", { plugin, module: label, dir });
  const cjs = isCommonJs(file, dir, packageJson);
  const ns = await importModule(file, plugin, label, !cjs);
  const picked = pickExport(ns, exportName, cjs);
  if (!picked.found) throw createError("COSMO_E_PLUGIN_EXPORT_NOT_FOUND", { plugin, module: label, export: exportName });
  return { value: picked.value, exportName };
}

/** Resolves, imports and instantiates a discovered plugin; throws the coded error of the step that failed. */
export async function instantiatePlugin(discovered: DiscoveredPlugin, options: LoadOptions = {}): Promise<unknown> {
  const { value, exportName } = await importExport(discovered, options);
  return instantiate(value, discovered.manifest.name, exportName);
}

/** Loads one discovered plugin into the service. Resolves to its info; never rejects for a plugin's fault. */
export async function loadPlugin(discovered: DiscoveredPlugin, service: PluginService, options: LoadOptions = {}): Promise<PluginInfo> {
  return register(discovered, importExport(discovered, options), service, options);
}

/** Instantiates an imported export and registers it, recording any failure in the service. */
async function register(
  discovered: DiscoveredPlugin,
  imported: Promise<{ value: unknown; exportName: string }>,
  service: PluginService,
  options: LoadOptions,
): Promise<PluginInfo> {
  const { manifest } = discovered;
  const source: PluginSource = { packageName: discovered.packageName, packageVersion: discovered.packageVersion, dir: discovered.dir };
  let instance: unknown;
  try {
    const { value, exportName } = await imported;
    instance = instantiate(value, manifest.name, exportName);
  } catch (error) {
    return service.recordFailure(manifest, asCosmoError(error, manifest.name), source);
  }
  try {
    return await service.register(instance, { manifest, source, config: options.config?.[manifest.name], setupTimeout: options.setupTimeout });
  } catch (error) {
    // Only a name clash gets here: the plugin already running under that name keeps its record.
    return service.recordFailure(manifest, asCosmoError(error, manifest.name), source);
  }
}

/**
 * Loads plugins in the given order. Modules are imported one at a time, so when a module's
 * top-level code blocks or kills the process exactly one plugin was being imported (a host's
 * watchdog can name it). Then every setup starts at once, each with its own timeout: N slow
 * plugins cost one timeout, not N. Registration still claims names and prefixes in list order
 * (synchronously, before any setup runs), so clashes resolve predictably and teardown can go in
 * reverse.
 */
export async function loadPlugins(list: readonly DiscoveredPlugin[], service: PluginService, options: LoadOptions = {}): Promise<PluginInfo[]> {
  const imports: Promise<{ value: unknown; exportName: string }>[] = [];
  for (const discovered of list) {
    const imported = importExport(discovered, options);
    imports.push(imported);
    await imported.catch(() => {}); // handled by register(); never an unhandled rejection meanwhile
  }
  return Promise.all(list.map((discovered, i) => register(discovered, imports[i]!, service, options)));
}

function asCosmoError(error: unknown, plugin: string): CosmoError {
  if (isCosmoError(error)) return error;
  return createError("COSMO_E_PLUGIN_IMPORT_FAILED", { plugin, module: "?", reason: errorMessage(error) }, { cause: error });
}
