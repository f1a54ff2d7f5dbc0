/**
 * Which plugin is running. Every call into a plugin (import, constructor, setup, teardown, route
 * handler) runs inside an AsyncLocalStorage store naming it, so the timers, promises and
 * callbacks it starts carry the name too: a host's `uncaughtException` / `unhandledRejection`
 * handler, or its `process.exit` guard, asks `currentPlugin()` whose fault it is.
 * A host may also observe each call (`observePluginCalls`), e.g. to write the plugin into shared
 * memory that a watchdog thread reads while the event loop is blocked.
 */
import { AsyncLocalStorage } from "node:async_hooks";

const running = new AsyncLocalStorage<string>();

/** Told about every call into plugin code; each method must be cheap and must not throw. */
export interface PluginCallObserver {
  /** Synchronous plugin code starts (nested calls enter again). */
  enter(plugin: string): void;
  /** Synchronous plugin code ended; `previous` is the plugin entered before, if nested. */
  leave(plugin: string, previous: string | undefined): void;
  /** A plugin call's async work (a request, a setup) started. */
  begin?(plugin: string): void;
  /** ...and settled. */
  end?(plugin: string): void;
}

const observers = new Set<PluginCallObserver>();

/** Adds an observer of plugin calls; returns the function that removes it. */
export function observePluginCalls(observer: PluginCallObserver): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

/** The plugin whose code (or whose timer, promise or callback) is running now, if any. */
export function currentPlugin(): string | undefined {
  return running.getStore();
}

/** Runs `fn` as plugin code of `plugin`: inside its async context, observed. */
export function runAsPlugin<T>(plugin: string, fn: () => T): T {
  // Per request on the route path: no wrapper to allocate when no one observes.
  if (observers.size === 0) return running.run(plugin, fn);
  const previous = running.getStore();
  return running.run(plugin, () => {
    for (const o of observers) o.enter(plugin);
    try {
      return fn();
    } finally {
      for (const o of observers) o.leave(plugin, previous);
    }
  });
}

function endCall(plugin: string): void {
  if (observers.size > 0) for (const o of observers) o.end?.(plugin);
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as PromiseLike<unknown>).then === "function";

/**
 * Calls `fn` as plugin code of `plugin`, telling observers when its async work begins and ends.
 * Returns what `fn` returned: a value (its work ended with the call) or a promise of it (its
 * work ends when that settles). A route answering synchronously thus costs no promise, which
 * with the async hooks attribution turns on is a measurable share of a request.
 */
export function callAsPlugin<T>(plugin: string, fn: () => T | Promise<T>): T | Promise<T> {
  if (observers.size > 0) for (const o of observers) o.begin?.(plugin);
  let result: T | Promise<T>;
  try {
    result = runAsPlugin(plugin, fn);
  } catch (error) {
    endCall(plugin);
    throw error;
  }
  if (!isThenable(result)) {
    endCall(plugin);
    return result;
  }
  const end = () => endCall(plugin);
  return Promise.resolve(result).then(
    (value) => {
      end();
      return value;
    },
    (error: unknown) => {
      end();
      throw error;
    },
  );
}

/** Awaits `fn` as plugin code of `plugin`, telling observers when its async work begins and ends. */
export async function awaitAsPlugin<T>(plugin: string, fn: () => T | Promise<T>): Promise<T> {
  return callAsPlugin(plugin, fn);
}
