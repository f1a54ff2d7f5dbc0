/**
 * PluginService: registers plugin instances, runs their lifecycle and keeps each one's status.
 * A plugin that fails is recorded (status + coded error) and the host carries on: nothing a
 * plugin does is thrown through the service.
 */
import { EventEmitter } from "node:events";
import { createStorage, type Storage } from "unstorage";
import { createPluginContext, createPluginLogger, type PluginContextHandle } from "./context";
import { createError, type CosmoError } from "./errors";
import { DEFAULT_SETUP_TIMEOUT, describeValue, isPluginInstance, runSetup, runTeardown } from "./lifecycle";
import { prefixesOverlap, servedPrefix, type Manifest } from "./manifest";
import type { Plugin, PluginLogger } from "./plugin";
import type {
  MountedRoute,
  PluginErrorInfo,
  PluginInfo,
  PluginServiceEvents,
  PluginServiceOptions,
  PluginSource,
  PluginStatus,
  RegisterOptions,
} from "./service-types";

interface Entry {
  name: string;
  order: number;
  status: PluginStatus;
  manifest: Manifest;
  source?: PluginSource;
  plugin?: Plugin;
  handle?: PluginContextHandle;
  routes: MountedRoute[];
  error?: CosmoError;
  teardownError?: CosmoError;
  settled?: Promise<unknown>;
  stopping?: Promise<PluginInfo>;
}

const toErrorInfo = (error: CosmoError | undefined): PluginErrorInfo | undefined => error && error.toJSON().error;

/** Registers plugins, runs setup/teardown with timeouts and records every failure. */
export class PluginService {
  readonly #entries = new Map<string, Entry>();
  readonly #events = new EventEmitter();
  readonly #logger: PluginLogger;
  readonly #storage: Storage;
  readonly #setupTimeout: number;
  readonly #teardownTimeout: number;
  #order = 0;

  constructor(options: PluginServiceOptions = {}) {
    this.#logger = options.logger ?? console;
    this.#storage = options.storage ?? createStorage();
    this.#setupTimeout = options.setupTimeout ?? DEFAULT_SETUP_TIMEOUT;
    this.#teardownTimeout = options.teardownTimeout ?? this.#setupTimeout;
  }

  /**
   * Sets a plugin up and, once its setup resolves, serves its routes. Resolves to its info;
   * a plugin that throws, rejects, hangs or is not a plugin resolves as `failed`.
   * Rejects with COSMO_E_PLUGIN_ALREADY_REGISTERED when a loading or active plugin has the name.
   */
  async register(plugin: unknown, options: RegisterOptions): Promise<PluginInfo> {
    const { manifest } = options;
    const entry = this.#claim(manifest, options.source);
    if (!isPluginInstance(plugin)) {
      const found = describeValue(plugin);
      return this.#fail(entry, createError("COSMO_E_PLUGIN_EXPORT_INVALID", { plugin: entry.name, export: "(registered value)", found }));
    }
    const clash = this.#prefixClash(entry);
    if (clash) return this.#fail(entry, clash);

    entry.plugin = plugin;
    const handle = createPluginContext({
      manifest,
      config: options.config,
      logger: this.#logger,
      storage: this.#storage,
      onRoute: (route) => {
        const mounted: MountedRoute = { plugin: entry.name, method: route.method, path: route.fullPath, handler: route.handler, ctx: handle.ctx };
        entry.routes.push(mounted);
        // Routes added after setup are served at once; during setup they wait for it to succeed.
        if (entry.status === "active") this.#emit("mount", [mounted]);
      },
    });
    entry.handle = handle;
    const pending = runSetup(plugin, handle.ctx, options.setupTimeout ?? this.#setupTimeout);
    entry.settled = pending;
    const error = await pending;
    // Marked failed while its setup ran (a fault the host attributed to it): it stays failed.
    if (entry.status !== "loading") return this.#info(entry);
    if (error) {
      // Stop whatever a half-done setup started (timers, sockets) and drop its routes unserved.
      handle.abort(error);
      return this.#fail(entry, error);
    }
    entry.status = "active";
    this.#emit("mount", [...entry.routes]);
    const info = this.#info(entry);
    this.#emit("registered", info);
    return info;
  }

  /**
   * Records a plugin that never reached `register()` (the loader's failures) as `failed`.
   * When a loading or active plugin has that name, its record is left alone and the failure is
   * only logged and returned.
   */
  recordFailure(manifest: Manifest, error: CosmoError, source?: PluginSource): PluginInfo {
    const current = this.#entries.get(manifest.name);
    if (current && (current.status === "loading" || current.status === "active")) {
      const detached: Entry = { name: manifest.name, order: -1, status: "loading", manifest, source, routes: [] };
      return this.#fail(detached, error);
    }
    return this.#fail(this.#claim(manifest, source), error);
  }

  /**
   * Marks a loading or active plugin `failed` with `error` at once: its routes stop being served
   * and its signal is aborted. For faults a host attributes to a plugin outside any call the
   * service made (an unhandled rejection from its timer, say). Its teardown does not run: the
   * plugin is misbehaving. Undefined when no loading or active plugin has the name.
   */
  markFailed(name: string, error: CosmoError): PluginInfo | undefined {
    const entry = this.#entries.get(name);
    if (!entry || (entry.status !== "loading" && entry.status !== "active")) return undefined;
    if (entry.status === "active") this.#emit("unmount", entry.routes);
    entry.handle?.abort(error);
    return this.#fail(entry, error);
  }

  /** Removes a plugin: its routes go at once, then its signal is aborted and teardown() runs. */
  async unregister(name: string): Promise<PluginInfo> {
    const entry = this.#entries.get(name);
    if (!entry) throw createError("COSMO_E_PLUGIN_NOT_FOUND", { plugin: name });
    // Set synchronously, so a second call while the plugin is still loading awaits the same stop
    // (and its teardown) instead of starting another.
    entry.stopping ??= (async () => {
      if (entry.status === "loading") await entry.settled;
      return this.#stop(entry);
    })();
    return entry.stopping;
  }

  /** Tears every active plugin down, the last registered first. Never throws. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.#entries.values()].map((e) => e.settled));
    const active = [...this.#entries.values()].filter((e) => e.status === "active").sort((a, b) => b.order - a.order);
    for (const entry of active) await this.unregister(entry.name);
  }

  /** The state of one plugin, or undefined when no plugin of that name was ever seen. */
  get(name: string): PluginInfo | undefined {
    const entry = this.#entries.get(name);
    return entry && this.#info(entry);
  }

  /** Every plugin the service knows, in registration order. */
  list(): PluginInfo[] {
    return [...this.#entries.values()].sort((a, b) => a.order - b.order).map((e) => this.#info(e));
  }

  /** The routes currently served: those of active plugins. */
  routes(): MountedRoute[] {
    return [...this.#entries.values()].filter((e) => e.status === "active").flatMap((e) => e.routes);
  }

  /** Subscribes to a service event. */
  on<E extends keyof PluginServiceEvents>(event: E, listener: (...args: PluginServiceEvents[E]) => void): this {
    this.#events.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Unsubscribes a listener added with `on()`. */
  off<E extends keyof PluginServiceEvents>(event: E, listener: (...args: PluginServiceEvents[E]) => void): this {
    this.#events.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  #claim(manifest: Manifest, source: PluginSource | undefined): Entry {
    const current = this.#entries.get(manifest.name);
    if (current && (current.status === "loading" || current.status === "active")) {
      throw createError("COSMO_E_PLUGIN_ALREADY_REGISTERED", { plugin: manifest.name });
    }
    // A failed or unregistered plugin of that name is replaced: that is how a host reloads it.
    const entry: Entry = { name: manifest.name, order: this.#order++, status: "loading", manifest, source, routes: [] };
    this.#entries.set(entry.name, entry);
    return entry;
  }

  #prefixClash(entry: Entry): CosmoError | undefined {
    const prefix = servedPrefix(entry.manifest);
    if (prefix === undefined) return undefined;
    for (const other of this.#entries.values()) {
      if (other === entry || (other.status !== "active" && other.status !== "loading")) continue;
      const theirs = servedPrefix(other.manifest);
      if (theirs !== undefined && prefixesOverlap(prefix, theirs)) {
        return createError("COSMO_E_PREFIX_COLLISION", { plugin: entry.name, prefix, other: other.name, otherPrefix: theirs });
      }
    }
    return undefined;
  }

  #fail(entry: Entry, error: CosmoError): PluginInfo {
    entry.status = "failed";
    entry.error = error;
    entry.routes = [];
    createPluginLogger(entry.name, this.#logger).error(`${error.code}: ${error.message}`);
    const info = this.#info(entry);
    this.#emit("failed", info);
    return info;
  }

  async #stop(entry: Entry): Promise<PluginInfo> {
    const wasActive = entry.status === "active";
    entry.status = "unregistered";
    if (wasActive) {
      this.#emit("unmount", entry.routes);
      entry.routes = [];
      entry.handle?.abort();
      const error = entry.plugin && (await runTeardown(entry.plugin, entry.name, this.#teardownTimeout));
      if (error) {
        entry.teardownError = error;
        entry.handle?.ctx.logger.error(`${error.code}: ${error.message}`, error.cause ?? "");
      }
    }
    const info = this.#info(entry);
    this.#emit("unregistered", info);
    return info;
  }

  #info(entry: Entry): PluginInfo {
    const info: PluginInfo = {
      name: entry.name,
      status: entry.status,
      manifest: entry.manifest,
      routes: entry.status === "active" ? entry.routes.map((r) => ({ method: r.method, path: r.path })) : [],
    };
    if (entry.error) info.error = toErrorInfo(entry.error);
    if (entry.teardownError) info.teardownError = toErrorInfo(entry.teardownError);
    if (entry.source) info.source = entry.source;
    return info;
  }

  // A listener that throws must not break the lifecycle of the plugin being reported on.
  #emit<E extends keyof PluginServiceEvents>(event: E, ...args: PluginServiceEvents[E]): void {
    for (const listener of this.#events.listeners(event)) {
      try {
        (listener as (...a: unknown[]) => void)(...args);
      } catch (error) {
        this.#logger.error(`[cosmo] a "${event}" listener threw:`, error);
      }
    }
  }
}
