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
      const subscriber = client.duplicate({ lazyConnect: true, commandTimeout: undefined });
      subscriber.on("error", () => undefined); // reconnects on its own; the store's calls report outages
      subscriber.on("message", (from: string, message: string) => {
        if (from === channel) onMessage(message);
      });
      let first = true;
      subscriber.on("ready", () => {
        // The first ready is the subscribe below; later ones are reconnects.
        if (first) return;
        onReady();
      });
      await subscriber.connect();
      await subscriber.subscribe(channel);
      first = false;
      onReady();
      return async () => {
        subscriber.disconnect();
      };
    },
  };
}
