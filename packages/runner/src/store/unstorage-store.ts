import { randomUUID } from "node:crypto";
import { createError, errorMessage, isCosmoError } from "@cosmo/core";
import pMap from "p-map";
import { prefixStorage, type Storage } from "unstorage";
import type { RedisSetLease } from "./redis-set-lock";
import type { SetLease, SetLock } from "./set-lock";
import type { NewPluginRecord, PluginRecord, PluginRecordPatch, PluginStore, StoreChannel } from "./types";

// Records live under one prefix so a shared redis (or data dir) can hold other things beside them.
const PREFIX = "plugins";
const keyOf = (id: string) => `${PREFIX}:${id}`;
const META = "meta";
const metaKey = (name: string) => `${META}:${name}`;
const RECORD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Plugins' own data: beside the records, never under PREFIX (getKeys("plugins") must not see it).
const PLUGIN_DATA = "plugin-data";
// Reads in flight at once when listing: a store with thousands of records must not open
// thousands of files at once (EMFILE starves every other request of the process).
const LIST_CONCURRENCY = 16;

/** How long one store call may take before it is a 503 (ms): COSMO_STORE_TIMEOUT_MS, default 4000. */
export function storeTimeout(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.COSMO_STORE_TIMEOUT_MS);
  return Number.isFinite(value) && value > 0 ? value : 4_000;
}

/** Oldest first; the id breaks ties so two records made in the same millisecond keep one order. */
function byCreation(a: PluginRecord, b: PluginRecord): number {
  return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Options of `createUnstoragePluginStore`. */
export interface UnstoragePluginStoreOptions {
  /** True for a store other runners use too (redis). */
  shared?: boolean;
  /** The set lock; required for writes to be safe across processes. */
  lock: SetLock;
  /**
   * Raw key prefix of the storage's keys in the backend (redis), for fenced writes; with it, a
   * write under a lease goes through the lease (a Lua compare on the lock's token).
   */
  rawBase?: string;
  channel?: StoreChannel;
  /** Per-call timeout in ms (default storeTimeout()). */
  timeout?: number;
}

/**
 * A PluginStore over any unstorage Storage: the record logic is written once, and the drivers
 * (memory, atomic files, redis) are what differ.
 */
export function createUnstoragePluginStore(storage: Storage, description: string, options: UnstoragePluginStoreOptions): PluginStore {
  const timeout = options.timeout ?? storeTimeout();

  // Driver failures (redis down, disk full) and calls that do not answer in time become one
  // coded 503, so the API and the CLI report them the same way; our own coded errors pass through.
  async function guarded<T>(work: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        work(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout);
        }),
      ]);
    } catch (error) {
      if (isCosmoError(error)) throw error;
      throw createError("COSMO_E_STORE_UNAVAILABLE", { store: description, reason: errorMessage(error) }, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  // Concurrent listings share one read of the records (20 GET /plugins at once read them once,
  // not 20 times: under load and a low fd limit that was the difference between answering and a
  // 503), but never a read that began before a write of this process began or ended, so a caller
  // that lists after its own write always sees it. `writes` moves at both ends of every write.
  let writes = 0;
  let listing: { epoch: number; result: Promise<PluginRecord[]> } | undefined;
  function sharedList(): Promise<PluginRecord[]> {
    if (listing && listing.epoch === writes) return listing.result;
    const entry = { epoch: writes, result: readAll() };
    listing = entry;
    const clear = () => {
      if (listing === entry) listing = undefined;
    };
    entry.result.then(clear, clear);
    return entry.result;
  }

  async function write(key: string, value: unknown, lease: SetLease | undefined): Promise<void> {
    writes++;
    try {
      await writeNow(key, value, lease);
    } finally {
      writes++;
    }
  }

  async function writeNow(key: string, value: unknown, lease: SetLease | undefined): Promise<void> {
    lease?.assertHeld();
    const fenced = lease as RedisSetLease | undefined;
    if (options.rawBase !== undefined && fenced?.write) {
      await fenced.write(`${options.rawBase}:${key}`, value === null ? null : JSON.stringify(value));
    } else if (value === null) {
      await storage.removeItem(key);
    } else {
      await storage.setItem(key, value as Parameters<Storage["setItem"]>[1]);
    }
  }

  async function read(id: string): Promise<PluginRecord | null> {
    // Ids are the UUIDs create() makes. Anything else (".", "a:b", a path) is no record: unstorage
    // would refuse some as keys, and a key separator would reach other keys.
    if (!RECORD_ID.test(id)) return null;
    const value = await storage.getItem<PluginRecord>(keyOf(id));
    return value && typeof value === "object" ? withDefaults(value) : null;
  }

  async function readAll(): Promise<PluginRecord[]> {
    const keys = await storage.getKeys(PREFIX);
    const values = await pMap(keys, (key) => storage.getItem<PluginRecord>(key), { concurrency: LIST_CONCURRENCY });
    // A key can vanish between getKeys and getItem when another runner deletes it.
    return values.filter((v): v is PluginRecord => !!v && typeof v === "object").map(withDefaults).sort(byCreation);
  }

  async function mustRead(id: string): Promise<PluginRecord> {
    const record = await read(id);
    if (!record) throw createError("COSMO_E_RECORD_NOT_FOUND", { id });
    return record;
  }

  // Inside the critical section when the caller holds the lease, else it is taken for this write.
  const locked = <T>(lease: SetLease | undefined, work: (lease: SetLease) => Promise<T>): Promise<T> =>
    lease ? work(lease) : options.lock.run(work);

  return {
    description,
    shared: options.shared ?? false,
    channel: options.channel,
    create: (input: NewPluginRecord, lease?: SetLease) =>
      locked(lease, (held) =>
        guarded(async () => {
          const existing = (await readAll()).find((r) => r.source === input.source);
          if (existing) throw createError("COSMO_E_RECORD_DUPLICATE", { source: input.source, id: existing.id });
          const now = new Date().toISOString();
          const record: PluginRecord = {
            id: randomUUID(),
            name: input.name,
            source: input.source,
            install_status: "pending",
            error_message: null,
            conflicts: null,
            version: null,
            integrity: null,
            created_at: now,
            updated_at: now,
          };
          await write(keyOf(record.id), record, held);
          return record;
        }),
      ),
    get: (id) => guarded(() => read(id)),
    list: () => guarded(sharedList),
    update: (id: string, patch: PluginRecordPatch, lease?: SetLease) =>
      guarded(async () => {
        const current = await mustRead(id);
        const next: PluginRecord = { ...current, ...pick(patch), id: current.id, updated_at: later(current.updated_at) };
        await write(keyOf(id), next, lease);
        return next;
      }),
    remove: (id, lease?: SetLease) =>
      guarded(async () => {
        const current = await mustRead(id);
        await write(keyOf(id), null, lease);
        return current;
      }),
    findBySource: (source) => guarded(async () => (await readAll()).find((r) => r.source === source) ?? null),
    withSetLock: (work) => options.lock.run(work),
    getMeta: <T>(name: string) => guarded(async () => (await storage.getItem<T>(metaKey(name))) ?? null),
    setMeta: (name, value, lease) => guarded(() => write(metaKey(name), value, lease)),
    pluginStorage: () => prefixStorage(storage, PLUGIN_DATA),
    close: () => guarded(() => storage.dispose()),
  };
}

/** Only the patchable fields: a caller passing a whole record must not rewrite id or created_at. */
function pick(patch: PluginRecordPatch): PluginRecordPatch {
  const out: PluginRecordPatch = {};
  if (patch.name !== undefined) out.name = patch.name;
  if (patch.install_status !== undefined) out.install_status = patch.install_status;
  if (patch.error_message !== undefined) out.error_message = patch.error_message;
  if (patch.conflicts !== undefined) out.conflicts = patch.conflicts;
  if (patch.version !== undefined) out.version = patch.version;
  if (patch.integrity !== undefined) out.integrity = patch.integrity;
  return out;
}

/** A record as stored by an older runner, given the fields added since. */
function withDefaults(record: PluginRecord): PluginRecord {
  return { ...record, conflicts: record.conflicts ?? null, version: record.version ?? null, integrity: record.integrity ?? null };
}

/** Now, but strictly after `previous`, so an update within the same millisecond still shows. */
function later(previous: string): string {
  const now = Date.now();
  const prev = Date.parse(previous);
  return new Date(Number.isNaN(prev) || now > prev ? now : prev + 1).toISOString();
}
