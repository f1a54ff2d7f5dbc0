/**
 * The public shapes of the plugin service: statuses, the info snapshots it reports, its events
 * and options. Kept apart from service.ts so the router and loader can depend on the shapes only.
 */
import type { Storage } from "unstorage";
import type { Manifest } from "./manifest";
import type { PluginContext, PluginLogger, RouteHandler, RouteMethod } from "./plugin";

/**
 * Where a plugin is in its life:
 * - `loading`: its `setup(ctx)` is running; no route is served yet;
 * - `active`: setup finished; its routes are served;
 * - `failed`: it could not be loaded or set up; `error` says why; it has no routes;
 * - `unregistered`: it was removed (and torn down if it had been active).
 */
export type PluginStatus = "loading" | "active" | "failed" | "unregistered";

/** A coded error as data, the way `get()`/`list()` report it. */
export interface PluginErrorInfo {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Which installed package a plugin came from (set by the loader). */
export interface PluginSource {
  packageName: string;
  packageVersion: string;
  dir: string;
}

/** A snapshot of one plugin's state, as `get()`, `list()` and the events give it. */
export interface PluginInfo {
  name: string;
  status: PluginStatus;
  manifest: Manifest;
  /** Why it failed (status `failed`), kept after it is unregistered. */
  error?: PluginErrorInfo;
  /** What its `teardown()` threw, if it did; logged, never thrown. */
  teardownError?: PluginErrorInfo;
  /** Routes served for it (full paths on the host); empty unless `active`. */
  routes: { method: RouteMethod; path: string }[];
  source?: PluginSource;
}

/** One route of an active plugin, as the router mounts it. */
export interface MountedRoute {
  plugin: string;
  method: RouteMethod;
  /** Full path on the host: `webhook_prefix` + the plugin's path. */
  path: string;
  handler: RouteHandler;
  ctx: PluginContext;
}

/** The events a PluginService emits and what each listener receives. */
export interface PluginServiceEvents {
  /** A plugin finished setup and is active. */
  registered: [info: PluginInfo];
  /** A plugin failed to load or set up. */
  failed: [info: PluginInfo];
  /** A plugin was removed (after its teardown ran). */
  unregistered: [info: PluginInfo];
  /** Routes start being served (a plugin became active, or an active one added a route). */
  mount: [routes: MountedRoute[]];
  /** Routes stop being served; fired the moment `unregister()` starts, before teardown. */
  unmount: [routes: MountedRoute[]];
}

/** Options of a PluginService. */
export interface PluginServiceOptions {
  /** Base logger; each plugin's lines are prefixed with its name. Default: console. */
  logger?: PluginLogger;
  /** Host storage; each plugin gets `plugins:<name>:` of it. Default: a fresh memory storage. */
  storage?: Storage;
  /** Max ms for a plugin's `setup(ctx)`; default 10 000. */
  setupTimeout?: number;
  /** Max ms for a plugin's `teardown()`; default: `setupTimeout`. */
  teardownTimeout?: number;
}

/** Options of `register()`. */
export interface RegisterOptions {
  /** The plugin's validated manifest; its `name` is the plugin's name. */
  manifest: Manifest;
  /** The host's config for this plugin (copied and frozen into `ctx.config`). */
  config?: Record<string, unknown>;
  source?: PluginSource;
  /** Overrides the service's `setupTimeout` for this plugin. */
  setupTimeout?: number;
}
