import { createError, errorMessage, redactUrl } from "@cosmo/core";
import type { Redis } from "ioredis";
import type { Driver } from "unstorage";
import redisDriver from "unstorage/drivers/redis";

/** Options of `connectRedisDriver`. */
export interface RedisDriverOptions {
  /** Key prefix, so one redis can hold several Cosmo installations (default "cosmo"). */
  namespace?: string;
  /** How long the first connection may take before the store counts as unavailable (ms). */
  connectTimeout?: number;
  /** How long one command may take before it fails (ms): a hung redis must not hang callers. */
  commandTimeout?: number;
}

/** A connected redis: the unstorage driver and its ioredis client (for locks and pub/sub). */
export interface ConnectedRedis {
  driver: Driver;
  client: Redis;
  /** The key prefix every key of this installation starts with ("cosmo"). */
  base: string;
}

/**
 * unstorage's redis driver, connected and checked (PING) before it is handed out. ioredis by
 * default retries forever and queues commands meanwhile, so a runner pointed at a dead redis
 * would hang; here the first connection is bounded and each command gives up after a few retries.
 */
export async function connectRedisDriver(url: string, options: RedisDriverOptions = {}): Promise<ConnectedRedis> {
  const timeout = options.connectTimeout ?? 5_000;
  const base = options.namespace ?? "cosmo";
  const driver = redisDriver({
    url,
    base,
    lazyConnect: true,
    connectTimeout: timeout,
    // Fail a command after a short retry instead of queuing it until redis comes back.
    maxRetriesPerRequest: 2,
    // A redis that accepts the connection but never answers (SIGSTOP, a full network buffer)
    // would otherwise hold every command forever: the connection looks alive.
    commandTimeout: options.commandTimeout ?? 3_000,
    // Keep reconnecting after the first success (redis restarts), but not too eagerly.
    retryStrategy: (times: number) => Math.min(times * 200, 2_000),
  });
  const client = driver.getInstance!() as Redis;
  let lastError: unknown;
  // Without a listener ioredis prints every failed reconnect as an unhandled error event.
  client.on("error", (error) => {
    lastError = error;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout);
      }),
    ]);
  } catch (error) {
    client.disconnect();
    const reason = lastError ? errorMessage(lastError) : errorMessage(error);
    throw createError("COSMO_E_STORE_UNAVAILABLE", { store: redactUrl(url), reason }, { cause: error });
  } finally {
    clearTimeout(timer);
  }
  return { driver, client, base };
}
