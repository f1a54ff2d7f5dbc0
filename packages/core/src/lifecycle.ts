/**
 * The two calls into plugin code the service makes, setup and teardown, each bounded by a
 * timeout and turned into one coded error: a plugin can throw, reject or hang, the host goes on.
 */
import { awaitAsPlugin } from "./attribution";
import { createError, errorMessage, isCosmoError, type CosmoError } from "./errors";
import type { Plugin, PluginContext } from "./plugin";

/** Default time a plugin's `setup(ctx)` (and `teardown()`) may take, in ms. */
export const DEFAULT_SETUP_TIMEOUT = 10_000;

const TIMED_OUT = Symbol("timed out");

// Runs `fn` (sync or async) and races it against a timer. A sync throw becomes a rejection, so
// both kinds of failure take one path. The timer is cleared either way so it never holds the
// event loop open after the plugin answered.
async function withTimeout<T>(fn: () => T | Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(fn), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `plugin.setup(ctx)`; resolves to undefined or the coded error it ended with. */
export async function runSetup(plugin: Plugin, ctx: PluginContext, timeout: number): Promise<CosmoError | undefined> {
  try {
    const result = await withTimeout(() => awaitAsPlugin(ctx.name, () => plugin.setup(ctx)), timeout);
    if (result === TIMED_OUT) return createError("COSMO_E_PLUGIN_SETUP_TIMEOUT", { plugin: ctx.name, timeout });
    return undefined;
  } catch (error) {
    // A coded error thrown inside setup (ctx.route's COSMO_E_ROUTE_* for one) already says
    // exactly what to fix: keep it rather than burying it under SETUP_FAILED.
    if (isCosmoError(error)) return error;
    return createError("COSMO_E_PLUGIN_SETUP_FAILED", { plugin: ctx.name, reason: errorMessage(error) }, { cause: error });
  }
}

/** Runs `plugin.teardown()` if it has one; resolves to undefined or its coded error. */
export async function runTeardown(plugin: Plugin, name: string, timeout: number): Promise<CosmoError | undefined> {
  if (typeof plugin.teardown !== "function") return undefined;
  try {
    const result = await withTimeout(() => awaitAsPlugin(name, () => plugin.teardown?.()), timeout);
    if (result === TIMED_OUT) {
      return createError("COSMO_E_PLUGIN_TEARDOWN_FAILED", { plugin: name, reason: `it did not finish within ${timeout} ms` });
    }
    return undefined;
  } catch (error) {
    return createError("COSMO_E_PLUGIN_TEARDOWN_FAILED", { plugin: name, reason: errorMessage(error) }, { cause: error });
  }
}

/** Describes a value for COSMO_E_PLUGIN_EXPORT_INVALID's `found` ("a number (42)", "null", ...). */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "function") return "a function that is not a class with setup()";
  if (typeof value === "object") return "an object without a setup() function";
  const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
  return `a ${typeof value} (${shown.length > 40 ? `${shown.slice(0, 37)}...` : shown})`;
}

/** True for a value the service can run: an object with a `setup` function. */
export function isPluginInstance(value: unknown): value is Plugin {
  return typeof value === "object" && value !== null && typeof (value as Plugin).setup === "function";
}
