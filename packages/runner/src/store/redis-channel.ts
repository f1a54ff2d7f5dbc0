/**
 * Redis pub/sub between the runners of one shared store. A subscriber needs a connection of its
 * own (a subscribed ioredis connection can run nothing else); ioredis resubscribes by itself
 * after a reconnect, and `ready` tells the subscriber to catch up on what it missed meanwhile.
 */
import type { Redis } from "ioredis";
import type { StoreChannel } from "./types";

/** The channel named `<base>:<name>` on this client's server. */
export function redisChannel(client: Redis, base: string, name: string): StoreChannel {
  const channel = `${base}:${name}`;
  return {
    async publish(message) {
      await client.publish(channel, message);
    },
    async subscribe(onMessage, onReady) {
      // No lazy connect and no command limit: a redis that is down at start or goes away later
      // is waited for, and ioredis restores the subscription itself on every reconnect.
      const subscriber = client.duplicate({ lazyConnect: false, commandTimeout: undefined, maxRetriesPerRequest: null });
      subscriber.on("error", () => undefined); // reconnects on its own; the store's calls report outages
      subscriber.on("message", (from: string, message: string) => {
        if (from === channel) onMessage(message);
      });
      // Every (re)connection: catch up on what was announced while away.
      subscriber.on("ready", () => onReady());
      subscriber.subscribe(channel).catch(() => undefined);
      return async () => {
        subscriber.disconnect();
      };
    },
  };
}
