import type { Conflict } from "@cosmo/bundler";
import type { Storage } from "unstorage";
import type { SetLease } from "./set-lock";

/** Where a plugin stands: added but not checked, in the bundle, or refused (see error_message). */
export type InstallStatus = "pending" | "installed" | "failed";

/** The Plugin row: one plugin source the runner knows about. Timestamps are ISO strings. */
export interface PluginRecord {
  /** A random UUID, given by the store on create. */
  id: string;
  /** The package name: derived from the source at first (see `deriveName`), the resolved name once checked. */
  name: string;
  /** What the user asked for: an npm spec, a tarball path or URL, a git URL. */
  source: string;
  install_status: InstallStatus;
  /** Why the last install failed, rendered for people from `conflicts`; null unless install_status is "failed". */
  error_message: string | null;
  /** The conflicts that failed the last install, as data (one shape per kind); null when none. */
  conflicts: Conflict[] | null;
  /** The exact version installed (what a registry source is pinned to in the set); null until checked. */
  version: string | null;
  /** The integrity of that version's tarball (`sha512-...`), as the lockfile pins it; null until checked. */
  integrity: string | null;
  created_at: string;
  updated_at: string;
}

/** What a caller gives to create a record; the store fills id, status and timestamps. */
export interface NewPluginRecord {
  name: string;
  source: string;
}

/** The fields an update may change. id, source and created_at are fixed for a record's life. */
export type PluginRecordPatch = Partial<Pick<PluginRecord, "name" | "install_status" | "error_message" | "conflicts" | "version" | "integrity">>;

/**
 * Plugin records, wherever they live (memory, files, redis). Every implementation passes the one
 * contract suite in `test/store.test.ts`.
 */
export interface PluginStore {
  /** A short description for logs and errors ("memory", "fs:/path", "redis://host:port"). */
  readonly description: string;
  /**
   * True when other runners may use the same store (redis): its installed records are then the
   * plugin set every runner bundles, not each runner's own tracking file (see operations/shared.ts).
   */
  readonly shared: boolean;
  /**
   * Adds a pending record. Throws COSMO_E_RECORD_DUPLICATE when a record has the same source.
   * The duplicate check and the write run under the set lock (taken here unless `lease` says
   * the caller holds it), so one source makes one record however many callers race.
   */
  create(input: NewPluginRecord, lease?: SetLease): Promise<PluginRecord>;
  /** The record with this id, or null. */
  get(id: string): Promise<PluginRecord | null>;
  /** Every record, oldest first (created_at, then id). */
  list(): Promise<PluginRecord[]>;
  /** Applies a patch and bumps updated_at. Throws COSMO_E_RECORD_NOT_FOUND for an unknown id. */
  update(id: string, patch: PluginRecordPatch, lease?: SetLease): Promise<PluginRecord>;
  /** Deletes a record and returns it. Throws COSMO_E_RECORD_NOT_FOUND for an unknown id. */
  remove(id: string, lease?: SetLease): Promise<PluginRecord>;
  /**
   * Runs `work` as the plugin set's one writer across processes (see store/set-lock.ts): every
   * change of the set (records and what is derived from them) happens inside. Writes made
   * inside pass the lease, so a writer whose lock was lost cannot overwrite the next one's.
   */
  withSetLock<T>(work: (lease: SetLease) => Promise<T>): Promise<T>;
  /** A small named value kept beside the records (the set's version, the current generation). */
  getMeta<T>(name: string): Promise<T | null>;
  /** Writes a named value (fenced by `lease` when given). */
  setMeta(name: string, value: unknown, lease?: SetLease): Promise<void>;
  /** Announcements between runners sharing the store (redis pub/sub); absent on a local store. */
  readonly channel?: StoreChannel;
  /** The record whose source is exactly this string, or null. */
  findBySource(source: string): Promise<PluginRecord | null>;
  /**
   * The storage plugins' `ctx.storage` is carved from (PluginService prefixes it per plugin):
   * the same backend as the records (files in the data dir, redis), under `plugin-data:`, so
   * plugin data survives restarts and reloads and never shows up among the records.
   */
  pluginStorage(): Storage;
  /** Releases connections and handles (redis); the store is unusable afterwards. */
  close(): Promise<void>;
}

/** Messages between the runners of one shared store. */
export interface StoreChannel {
  /** Sends `message` to every subscriber (this process's included). */
  publish(message: string): Promise<void>;
  /**
   * Calls `onMessage` for each message, and `onReady` each time the subscription is (re)established:
   * messages sent while disconnected are lost, so a subscriber catches up from stored state there.
   * Resolves to the unsubscribe function.
   */
  subscribe(onMessage: (message: string) => void, onReady: () => void): Promise<() => Promise<void>>;
}
