/**
 * Listeners keep their plugin. A listener a plugin adds to an emitter that outlives its call
 * (`process`, a host's shared emitter) runs later from wherever the emitter fires, outside the
 * plugin's async context: a throw from it would be charged to nobody. Once bound, every listener
 * added while a plugin's code runs is called as that plugin's code (`runAsPlugin`), so faults
 * and blocked loops in it are named, and observers see it like any other plugin call.
 *
 * The listener the caller passed stays the one it knows: `off`/`removeListener` with it, and
 * `listeners()`, work as before (the wrapper carries it as `.listener`, as Node's own `once`
 * wrapper does).
 */
import { EventEmitter } from "node:events";
import { currentPlugin, runAsPlugin } from "./attribution";

type Listener = (...args: unknown[]) => unknown;
type AddMethod = "on" | "addListener" | "prependListener";
type OnceMethod = "once" | "prependOnceListener";

const BOUND = Symbol.for("cosmo.listeners.bound");
const proto = EventEmitter.prototype as unknown as Record<string, Listener> & { [BOUND]?: () => void };

/** The listener to register: `listener` itself outside plugin code, else a wrapper calling it as the plugin. */
function asPlugin(listener: unknown, once: (wrapper: Listener) => void = () => {}): unknown {
  const plugin = currentPlugin();
  // Someone else's wrapper (it has `.listener`) is left alone, so removing by it still works.
  if (plugin === undefined || typeof listener !== "function" || "listener" in listener) return listener;
  const wrapper: Listener = function (this: unknown, ...args: unknown[]) {
    once(wrapper);
    return runAsPlugin(plugin, () => (listener as Listener).apply(this, args));
  };
  Object.defineProperty(wrapper, "listener", { value: listener });
  return wrapper;
}

/**
 * Makes every EventEmitter bind the listeners added while a plugin's code runs to that plugin.
 * Call once in a host process before plugins load (the runner's workers do); calling again does
 * nothing. Returns the function that undoes it.
 * @example const unbind = bindPluginListeners();
 */
export function bindPluginListeners(): () => void {
  const existing = proto[BOUND];
  if (existing) return existing;
  const originals = new Map<string, Listener>();
  for (const name of ["on", "addListener", "prependListener"] satisfies AddMethod[]) {
    const original = proto[name]!;
    originals.set(name, original);
    proto[name] = function (this: EventEmitter, type: unknown, listener: unknown) {
      return original.call(this, type, asPlugin(listener));
    };
  }
  // Node's once wraps the listener in a wrapper of its own, whose `.listener` would be ours and
  // not the caller's: ours removes itself instead, and carries the caller's listener.
  for (const [name, add] of [["once", "on"], ["prependOnceListener", "prependListener"]] satisfies [OnceMethod, AddMethod][]) {
    const original = proto[name]!;
    const addOriginal = originals.get(add)!;
    originals.set(name, original);
    proto[name] = function (this: EventEmitter, type: unknown, listener: unknown) {
      const wrapped = asPlugin(listener, (wrapper) => this.removeListener(type as string, wrapper));
      return wrapped === listener ? original.call(this, type, listener) : addOriginal.call(this, type, wrapped);
    };
  }
  const unbind = () => {
    for (const [name, original] of originals) proto[name] = original;
    delete proto[BOUND];
  };
  Object.defineProperty(proto, BOUND, { value: unbind, configurable: true });
  return unbind;
}
