/**
 * The set lock on a shared redis: `SET key token NX PX ttl`, renewed while held, released and
 * written through with the token compared inside redis (Lua), so a writer whose lock expired
 * (a long GC pause, a partition) cannot overwrite what the next holder wrote: the fencing rule.
 * A lock whose holder ran on this host and is gone is taken over at once; any other expires
 * after its ttl.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { createError, errorMessage } from "@cosmo/core";
import type { Redis } from "ioredis";
import { isProcessAlive } from "../process-alive";
import { SET_LOCK_WAIT_MS, type SetLease, type SetLock } from "./set-lock";

const TTL_MS = 10_000;

// Compare-and-act scripts: each runs atomically inside redis.
const RELEASE = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`;
const RENEW = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) else return 0 end`;
const FENCED_SET = `if redis.call("GET", KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] == "1" then redis.call("DEL", KEYS[2]) else redis.call("SET", KEYS[2], ARGV[2]) end
return 1`;

interface Holder {
  fence: number;
  host: string;
  pid: number;
  nonce: string;
}

/** A lease on the redis set lock, with the fenced write the store uses inside it. */
export interface RedisSetLease extends SetLease {
  /** Sets (or with `value` null deletes) a raw key, only while this lease still holds the lock. */
  write(key: string, value: string | null): Promise<void>;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The set lock of the installation whose keys start with `base`. */
export function redisSetLock(client: Redis, base: string, store: string): SetLock {
  const lockKey = `${base}:set:lock`;
  const fenceKey = `${base}:set:fence`;
  let tail: Promise<unknown> = Promise.resolve();

  async function acquire(): Promise<{ token: string; fence: number }> {
    const deadline = Date.now() + SET_LOCK_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      const fence = await client.incr(fenceKey);
      const token = JSON.stringify({ fence, host: hostname(), pid: process.pid, nonce: randomBytes(6).toString("hex") } satisfies Holder);
      if ((await client.set(lockKey, token, "PX", TTL_MS, "NX")) === "OK") return { token, fence };
      const held = await client.get(lockKey);
      if (held !== null) {
        let holder: Holder | undefined;
        try {
          holder = JSON.parse(held) as Holder;
        } catch {
          holder = undefined;
        }
        // Killed on this very host: nobody will release it, and waiting out the ttl helps no one.
        if (holder && holder.host === hostname() && holder.pid !== process.pid && !isProcessAlive(holder.pid)) {
          await client.eval(RELEASE, 1, lockKey, held);
          continue;
        }
      }
      if (Date.now() > deadline) throw createError("COSMO_E_SET_LOCKED", { lock: `${store} ${lockKey}` });
      await pause(Math.min(10 * 1.4 ** attempt, 250) * (0.5 + Math.random()));
    }
  }

  async function hold<T>(work: (lease: SetLease) => Promise<T>): Promise<T> {
    let acquired;
    try {
      acquired = await acquire();
    } catch (error) {
      if ((error as { code?: string }).code?.startsWith("COSMO_E_")) throw error;
      throw createError("COSMO_E_STORE_UNAVAILABLE", { store, reason: errorMessage(error) }, { cause: error });
    }
    const { token, fence } = acquired;
    let lost = false;
    const renew = setInterval(() => {
      client.eval(RENEW, 1, lockKey, token, TTL_MS).then(
        (ok) => {
          if (ok === 0) lost = true;
        },
        () => undefined, // redis unreachable: the fenced writes will say so
      );
    }, TTL_MS / 3);
    renew.unref();
    const lease: RedisSetLease = {
      fence,
      assertHeld() {
        if (lost) throw createError("COSMO_E_SET_LOCK_LOST", { lock: `${store} ${lockKey}` });
      },
      async write(key, value) {
        lease.assertHeld();
        const done = await client.eval(FENCED_SET, 2, lockKey, key, token, value ?? "", value === null ? "1" : "0");
        if (done === 0) {
          lost = true;
          lease.assertHeld();
        }
      },
    };
    try {
      return await work(lease);
    } finally {
      clearInterval(renew);
      await client.eval(RELEASE, 1, lockKey, token).catch(() => undefined);
    }
  }

  return {
    run<T>(work: (lease: SetLease) => Promise<T>): Promise<T> {
      const run = tail.then(() => hold(work), () => hold(work));
      tail = run.catch(() => undefined);
      return run;
    },
  };
}
