import { randomUUID } from "node:crypto";
import { createError, errorMessage, isCosmoError } from "@cosmo/core";
import { prefixStorage, type Storage } from "unstorage";
import type { NewPluginRecord, PluginRecord, PluginRecordPatch, PluginStore } from "./types";

// Records live under one prefix so a shared redis (or data dir) can hold other things beside them.
const PREFIX = "plugins";
const keyOf = (id: string) => `${PREFIX}:${id}`;
const RECORD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Plugins' own data: beside the records, never under PREFIX (getKeys("plugins") must not see it).
const PLUGIN_DATA = "plugin-data";

/** Oldest first; the id breaks ties so two records made in the same millisecond keep one order. */
function byCreation(a: PluginRecord, b: PluginRecord): number {
  return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * A PluginStore over any unstorage Storage: the record logic is written once, and the drivers
 * (memory, atomic files, redis) are what differ.
 */
export function createUnstoragePluginStore(storage: Storage, description: string, options: { shared?: boolean } = {}): PluginStore {
  // Driver failures (redis down, disk full) become one coded 503, so the API and the CLI report
  // them the same way; our own coded errors pass through.
  async function guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isCosmoError(error)) throw error;
      throw createError("COSMO_E_STORE_UNAVAILABLE", { store: description, reason: errorMessage(error) }, { cause: error });
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
    const values = await Promise.all(keys.map((key) => storage.getItem<PluginRecord>(key)));
    // A key can vanish between getKeys and getItem when another runner deletes it.
    return values.filter((v): v is PluginRecord => !!v && typeof v === "object").map(withDefaults).sort(byCreation);
  }

  async function mustRead(id: string): Promise<PluginRecord> {
    const record = await read(id);
    if (!record) throw createError("COSMO_E_RECORD_NOT_FOUND", { id });
    return record;
  }

  return {
    description,
    shared: options.shared ?? false,
    create: (input: NewPluginRecord) =>
      guarded(async () => {
        // Check-then-write: two runners racing on one redis can both pass. The API is the only
        // writer in practice; a unique index would need a driver-level primitive unstorage lacks.
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
          created_at: now,
          updated_at: now,
        };
        await storage.setItem(keyOf(record.id), record);
        return record;
      }),
    get: (id) => guarded(() => read(id)),
    list: () => guarded(readAll),
    update: (id: string, patch: PluginRecordPatch) =>
      guarded(async () => {
        const current = await mustRead(id);
        const next: PluginRecord = { ...current, ...pick(patch), id: current.id, updated_at: later(current.updated_at) };
        await storage.setItem(keyOf(id), next);
        return next;
      }),
    remove: (id) =>
      guarded(async () => {
        const current = await mustRead(id);
        await storage.removeItem(keyOf(id));
        return current;
      }),
    findBySource: (source) => guarded(async () => (await readAll()).find((r) => r.source === source) ?? null),
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
  return out;
}

/** A record as stored by an older runner, given the fields added since. */
function withDefaults(record: PluginRecord): PluginRecord {
  return { ...record, conflicts: record.conflicts ?? null };
}

/** Now, but strictly after `previous`, so an update within the same millisecond still shows. */
function later(previous: string): string {
  const now = Date.now();
  const prev = Date.parse(previous);
  return new Date(Number.isNaN(prev) || now > prev ? now : prev + 1).toISOString();
}
