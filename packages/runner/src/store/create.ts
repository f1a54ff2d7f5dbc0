import { join } from "node:path";
import { createError, redactUrl } from "@cosmo/core";
import { createStorage } from "unstorage";
import memoryDriver from "unstorage/drivers/memory";
import { fsAtomicDriver } from "./drivers/fs-atomic";
import { connectRedisDriver } from "./drivers/redis";
import type { PluginStore } from "./types";
import { redisChannel } from "./redis-channel";
import { redisSetLock } from "./redis-set-lock";
import { fileSetLock } from "./set-lock";
import { createUnstoragePluginStore } from "./unstorage-store";

/** Options of `createPluginStore`. */
export interface CreatePluginStoreOptions {
  /** The runner's data dir; the default store keeps its files in `<dataDir>/store`. */
  dataDir: string;
  /** Key prefix inside redis (default "cosmo"): two installations can share one redis. */
  namespace?: string;
  /** Bound on the first redis connection, in ms (default 5000). */
  connectTimeout?: number;
}

/** The store URL in force: the `--store` flag, else COSMO_STORE; undefined = files in the data dir. */
export function resolveStoreUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return flag?.trim() || env.COSMO_STORE?.trim() || undefined;
}

/**
 * Opens the plugin store a URL names: nothing = files under `<dataDir>/store` (atomic writes),
 * `memory:` = in memory (tests), `redis://` or `rediss://` = a redis several runners share.
 * Throws COSMO_E_STORE_URL_INVALID for any other URL and COSMO_E_STORE_UNAVAILABLE when redis
 * does not answer in time.
 * @example
 * const store = await createPluginStore(resolveStoreUrl(args.store), { dataDir })
 */
export async function createPluginStore(url: string | undefined, options: CreatePluginStoreOptions): Promise<PluginStore> {
  const trimmed = url?.trim();
  if (!trimmed) {
    const base = join(options.dataDir, "store");
    return createUnstoragePluginStore(createStorage({ driver: fsAtomicDriver({ base }) }), `fs:${base}`, { lock: fileSetLock(options.dataDir) });
  }
  if (trimmed === "memory:" || trimmed === "memory://") {
    return createUnstoragePluginStore(createStorage({ driver: memoryDriver() }), "memory", { lock: fileSetLock(options.dataDir) });
  }
  if (/^rediss?:\/\//i.test(trimmed)) {
    const { driver, client, base } = await connectRedisDriver(trimmed, { namespace: options.namespace, connectTimeout: options.connectTimeout });
    const description = redactUrl(trimmed);
    return createUnstoragePluginStore(createStorage({ driver }), description, {
      shared: true,
      lock: redisSetLock(client, base, description),
      rawBase: base,
      channel: redisChannel(client, base, "generations"),
    });
  }
  throw createError("COSMO_E_STORE_URL_INVALID", { url: redactUrl(trimmed) });
}
