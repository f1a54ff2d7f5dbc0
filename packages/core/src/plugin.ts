/**
 * The plugin contract: the shape every Cosmo plugin has and the context the host hands it.
 * Public: docs, the scaffolder and users' plugins rely on it. Add to it; never change it.
 */
import type { Storage } from "unstorage";
import type { Manifest } from "./manifest";

/** HTTP methods a plugin route may answer; `"*"` answers every method. */
export type RouteMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" | "*";

/** What a route handler may return: a Response, any JSON-serialisable value, or a promise of either. */
export type RouteResult = Response | unknown;

/** A plugin route handler: a web-standard Request in, a Response or JSON value out. */
export type RouteHandler = (request: Request, ctx: RouteContext) => RouteResult | Promise<RouteResult>;

/** A logger scoped to one plugin; every line names the plugin. */
export interface PluginLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** What a plugin receives in `setup(ctx)`: the whole host API, injected. */
export interface PluginContext {
  /** The plugin's name (the `name` of its cosmo.json). */
  readonly name: string;
  /** The plugin's validated manifest. */
  readonly manifest: Manifest;
  /** Logger that prefixes every line with the plugin's name. */
  readonly logger: PluginLogger;
  /** The plugin's own configuration, as the host gave it (never another plugin's). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Key-value storage namespaced to this plugin (unstorage). */
  readonly storage: Storage;
  /** Aborted when the plugin is torn down: stop timers, close sockets, cancel work on it. */
  readonly signal: AbortSignal;
  /**
   * Registers a route under the plugin's own `webhook_prefix` (and nowhere else).
   * @example ctx.route("POST", "/toggle", async (req) => ({ ok: true }))  // -> POST /zigbee/toggle
   */
  route(method: RouteMethod | Lowercase<RouteMethod>, path: string, handler: RouteHandler): void;
}

/** The second argument of a route handler: the plugin's context plus what the request matched. */
export interface RouteContext extends PluginContext {
  /** Named path parameters (`/devices/:id` -> `{ id }`). */
  readonly params: Record<string, string>;
  /** The request URL, parsed. */
  readonly url: URL;
}

/** A plugin instance: `setup(ctx)` once when registered, `teardown()` once when removed. */
export interface Plugin {
  setup(ctx: PluginContext): void | Promise<void>;
  teardown?(): void | Promise<void>;
}

/** A plugin class as cosmo.json's `plugin_class` names it: constructed with no arguments. */
export type PluginClass = new () => Plugin;

const DEFINED = Symbol.for("cosmo.plugin");

/** A plugin written as an object with `definePlugin`. */
export type PluginDefinition<T extends Plugin = Plugin> = T & { readonly [DEFINED]: true };

/**
 * Declares a plugin as a plain object, with types for `ctx`.
 * @example export default definePlugin({ setup(ctx) { ctx.route("GET", "/", () => ({ ok: true })) } })
 */
export function definePlugin<T extends Plugin>(plugin: T): PluginDefinition<T> {
  return Object.assign(plugin, { [DEFINED]: true as const });
}

/** True for an object made with `definePlugin` (from any copy of @cosmo/core). */
export function isPluginDefinition(value: unknown): value is PluginDefinition {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[DEFINED] === true;
}
