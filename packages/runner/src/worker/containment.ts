/**
 * Containment inside a server worker: every fault of a plugin's code is attributed to the plugin
 * and kept from taking the process down.
 * - `process.exit` / `abort` / `kill` (of this process or the supervisor) called from plugin code
 *   throw into that code instead, and are reported;
 * - `uncaughtException` and `unhandledRejection` are caught, attributed (async context, else
 *   the stack's package) and reported; a rejection only marks its plugin failed;
 * - a shared-memory slot and heartbeat feed the watchdog thread (watchdog-thread.ts).
 * Attribution comes from @cosmo/core's async context (`currentPlugin`); the slot is for the
 * watchdog, which cannot see that context.
 */
import { createHook } from "node:async_hooks";
import { writeSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { bindPluginListeners, createError, currentPlugin, errorMessage, observePluginCalls, type PluginLogger, type PluginService } from "@cosmo/core";
import { FAULT_WORDS, MARKER_BYTES, SLOT, writeLine, type FaultKind, type FaultPlugin, type FaultReport } from "./fault";

/** Plugins a worker can tell apart in shared memory; later ones share index 0 ("unknown"). */
const MAX_PLUGINS = 1024;

/** Options of `installContainment`. */
export interface ContainmentOptions {
  /** Sends a fault to the supervisor (no-op without one). */
  report(fault: FaultReport): void;
  /** The service whose plugins run here (for markFailed and package names), once built. */
  service(): PluginService | undefined;
  logger: PluginLogger;
  /** Starts the watchdog thread when set; `markerFd`: see MARKER_FD. */
  watchdog?: { file: string; fd: number; stallTimeout: number; markerFd?: number };
}

/** The installed containment. */
export interface Containment {
  /** Tells attribution which package each plugin name comes from (before the plugins load). */
  knowPlugins(plugins: FaultPlugin[]): void;
  /** Stops the heartbeat and the watchdog thread. */
  stop(): void;
}

// An error object containment already reported, so the uncaughtException it may turn into is not reported twice.
const REPORTED = Symbol.for("cosmo.containment.reported");

/** Installs the process guards and, when asked, the watchdog. Call once, before plugins load. */
export function installContainment(options: ContainmentOptions): Containment {
  const packages = new Map<string, string>();
  const buffer = new SharedArrayBuffer(4 * (SLOT.counts + MAX_PLUGINS));
  const view = new Int32Array(buffer);
  const indexes = new Map<string, number>();
  const names: string[] = [""];
  let thread: Worker | undefined;

  const pluginOf = (name: string): FaultPlugin => {
    const pkg = packages.get(name) ?? options.service()?.get(name)?.source?.packageName;
    return pkg ? { name, package: pkg } : { name };
  };
  const indexOf = (name: string): number => {
    let index = indexes.get(name);
    if (index === undefined) {
      index = names.length < MAX_PLUGINS ? names.length : 0;
      if (index !== 0) {
        names.push(name);
        announce(index, name);
      }
      indexes.set(name, index);
    }
    return index;
  };

  // The supervisor must know which plugin ran even if its code kills the process at once (an
  // OOM aborts the whole process, watchdog thread included): so the marker (MARKER_FD) names
  // the plugin whose code is about to run, written before it runs, whenever that is another
  // plugin than the one it names, or the first since the watchdog's last tick (whose lines are
  // then older than the marker). A pipe line each time instead cost the supervisor a wake-up
  // per switch: with 5 plugins called in turn it doubled the CPU per request.
  const fd = options.watchdog?.fd;
  const markerFd = options.watchdog?.markerFd;
  // Which plugin an index stands for, to the watchdog thread and (for the marker) the supervisor.
  const announce = (index: number, name: string) => {
    const plugin = pluginOf(name);
    thread?.postMessage({ index, plugin });
    if (fd !== undefined) writeLine(fd, { type: "plugin", index, plugin });
  };
  const marker = new Int32Array(MARKER_BYTES / 4);
  const markerBytes = new Uint8Array(marker.buffer);
  let marked = 0;
  const mark = (index: number) => {
    if (markerFd === undefined || index === 0) return;
    if (index === marked && Atomics.load(view, SLOT.told) !== 0) return;
    marker[0] = index;
    marker[1] = Atomics.add(view, SLOT.version, 1) + 1;
    try {
      writeSync(markerFd, markerBytes, 0, MARKER_BYTES, 0);
    } catch {
      return;
    }
    marked = index;
    Atomics.store(view, SLOT.told, index);
  };
  const stopObserving = observePluginCalls({
    enter: (plugin) => {
      const index = indexOf(plugin);
      Atomics.store(view, SLOT.running, index);
      mark(index);
    },
    leave: (_plugin, previous) => Atomics.store(view, SLOT.running, previous === undefined ? 0 : indexOf(previous)),
    begin: (plugin) => void Atomics.add(view, SLOT.counts + indexOf(plugin), 1),
    end: (plugin) => void Atomics.sub(view, SLOT.counts + indexOf(plugin), 1),
  });

  // A plugin's code also runs after its call returned: the continuations of what it awaits and
  // the callbacks of its timers, which carry its async context. The call boundaries above do not
  // see those, so the slot is set around every async callback too; without it a plugin that
  // blocks the loop after an `await`, while another plugin has a request in flight, could not be
  // told apart from that one. A stack, since callbacks can nest (runInAsyncScope); Node emits
  // the `after` of every callback on the stack when an uncaught exception unwinds it.
  const outer: number[] = [];
  const continuations = createHook({
    before() {
      outer.push(Atomics.load(view, SLOT.running));
      const name = currentPlugin();
      const index = name === undefined ? 0 : indexOf(name);
      Atomics.store(view, SLOT.running, index);
      mark(index);
    },
    after() {
      Atomics.store(view, SLOT.running, outer.pop() ?? 0);
    },
  });
  continuations.enable();

  // A listener a plugin adds to process (or any emitter that outlives its call) runs as its code.
  const unbindListeners = bindPluginListeners();

  const running = (): string | undefined => currentPlugin() ?? (names[Atomics.load(view, SLOT.running)] || undefined);

  // A plugin's package path in a stack frame names it when no async context does (a callback
  // from a native emitter, say).
  const fromStack = (error: unknown): string | undefined => {
    const stack = error instanceof Error ? (error.stack ?? "") : "";
    let best: { name: string; at: number } | undefined;
    for (const [name, pkg] of packages) {
      const at = stack.indexOf(`/node_modules/${pkg}/`);
      if (at !== -1 && (!best || at < best.at)) best = { name, at };
    }
    return best?.name;
  };

  const fault = (kind: FaultKind, name: string | undefined, reason: string, fatal: boolean) => {
    const plugin = name === undefined ? undefined : pluginOf(name);
    if (plugin) {
      const error = createError("COSMO_E_PLUGIN_CRASHED", { plugin: plugin.name, fault: FAULT_WORDS[kind], reason, kind });
      options.service()?.markFailed(plugin.name, error);
      options.logger.error(`[containment] ${error.message}`);
    } else {
      options.logger.error(`[containment] ${FAULT_WORDS[kind]} (no plugin could be named): ${reason}`);
    }
    options.report({ kind, plugin, reason, fatal });
  };

  // --- process guards ---
  const realExit = process.exit.bind(process);
  const realAbort = process.abort.bind(process);
  const realKill = process.kill.bind(process);
  const refuse = (kind: FaultKind, name: string, reason: string): never => {
    fault(kind, name, reason, true);
    const error = createError("COSMO_E_PLUGIN_CRASHED", { plugin: name, fault: FAULT_WORDS[kind], reason, kind });
    Object.defineProperty(error, REPORTED, { value: true });
    throw error;
  };
  process.exit = ((code?: number | string | null) => {
    const name = running();
    if (name === undefined) return realExit(code as number | undefined);
    return refuse("exit", name, `process.exit(${code ?? ""})`);
  }) as typeof process.exit;
  process.abort = (() => {
    const name = running();
    if (name === undefined) return realAbort();
    return refuse("abort", name, "process.abort()");
  }) as typeof process.abort;
  process.kill = ((pid: number, signal?: string | number) => {
    const name = running();
    const host = pid === process.pid || pid === 0 || pid === process.ppid || pid === -process.pid || pid === -process.ppid;
    if (name === undefined || !host) return realKill(pid, signal);
    return refuse("kill", name, `process.kill(${pid}, ${signal ?? "SIGTERM"})`);
  }) as typeof process.kill;

  process.on("uncaughtException", (error: unknown) => {
    if (typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[REPORTED]) return;
    fault("uncaught-exception", currentPlugin() ?? fromStack(error), errorMessage(error), true);
  });
  process.on("unhandledRejection", (reason: unknown) => {
    if (typeof reason === "object" && reason !== null && (reason as Record<symbol, unknown>)[REPORTED]) return;
    const name = currentPlugin() ?? fromStack(reason);
    // Not fatal: nothing is broken but the plugin's own promise. Marked failed, the worker goes on.
    if (name !== undefined) fault("unhandled-rejection", name, errorMessage(reason), false);
    else options.logger.warn(`[containment] an unhandled promise rejection no plugin could be named for: ${errorMessage(reason)}`);
  });

  // --- heartbeat and watchdog ---
  const heartbeat = setInterval(() => Atomics.add(view, SLOT.heartbeat, 1), 100);
  heartbeat.unref();
  if (options.watchdog) {
    const { file, fd, stallTimeout } = options.watchdog;
    thread = new Worker(file, { workerData: { buffer, fd, stallTimeout } });
    thread.unref();
    thread.on("error", (error) => options.logger.error("[containment] the watchdog thread failed:", error));
    for (const [name, index] of indexes) if (index !== 0) thread.postMessage({ index, plugin: pluginOf(name) });
  }

  return {
    knowPlugins(plugins) {
      for (const p of plugins) if (p.package) packages.set(p.name, p.package);
      // Indexes given out before the packages were known: told again, with their package.
      for (const p of plugins) {
        const index = indexes.get(p.name);
        if (index !== undefined && index !== 0) announce(index, p.name);
      }
      for (const p of plugins) indexOf(p.name);
    },
    stop() {
      stopObserving();
      continuations.disable();
      unbindListeners();
      clearInterval(heartbeat);
      void thread?.terminate();
    },
  };
}
