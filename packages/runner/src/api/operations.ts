import type { Readable } from "node:stream";
import type { ProgressReporter } from "../operations/progress";
import type { ReloadOptions, ReloadResult } from "../worker/messages";
import type { PluginRecord } from "../store/types";

/**
 * The work behind the RPC endpoints (install, apply, reload, report...), given to `createApp` by
 * whoever owns it. The app stays a thin HTTP face: it looks records up, calls these and sends
 * their results as JSON. A method may throw a Cosmo error (COSMO_E_CONFLICT gives the 409 with
 * details.conflicts); each endpoint exists only when its method is given. The long ones take a
 * ProgressReporter: what a client that asked for `text/event-stream` sees as it happens.
 */
export interface PluginOperations {
  /** `POST /plugins/:id/install`: check and track the plugin; resolves to the updated record. */
  install(record: PluginRecord, report?: ProgressReporter): Promise<PluginRecord>;
  /** `POST /plugins/:id/uninstall`, and `DELETE /plugins/:id` of an installed record. */
  uninstall(record: PluginRecord, report?: ProgressReporter): Promise<PluginRecord>;
  /** `DELETE /plugins/:id`: deletes the record, taking it out of the set in the same step. */
  remove(record: PluginRecord): Promise<PluginRecord>;
  /** `POST /plugins/apply`: bundle, sync and reload; resolves to a JSON-able summary. */
  apply(report?: ProgressReporter): Promise<unknown>;
  /** `GET /plugins/installed`: the plugins the running worker has registered. */
  installed(): Promise<unknown>;
  /** `GET /plugins/report`: what a bug report needs (lockfile, plugins, versions). */
  report(): Promise<unknown>;
  /** `POST /plugins/reload`: a new worker on the current bundle; rejects with COSMO_E_RELOAD_UNAVAILABLE where there is no supervisor. */
  reload(options: ReloadOptions): Promise<ReloadResult>;
  /** `POST /plugins/:id/disable`: stop loading the plugin (kept tracked and bundled); `apply` reloads now. */
  disable(record: PluginRecord, options: { apply: boolean }): Promise<unknown>;
  /** `POST /plugins/:id/enable`: load it again (lifts a quarantine); `apply` reloads now. */
  enable(record: PluginRecord, options: { apply: boolean }): Promise<unknown>;
  /** Adds each record's live `status` (and quarantine) to `GET /plugins` and `GET /plugins/:id`. */
  describe(records: PluginRecord[]): Promise<unknown[]>;
  /** `POST /plugins/:id/upgrade`: move an installed plugin to another version; resolves to the record plus `upgrade`. */
  upgrade(record: PluginRecord, options: { version?: string }, report?: ProgressReporter): Promise<PluginRecord & { upgrade: unknown }>;
  /** `GET /plugins/outdated`: each installed plugin's newer versions, whether each fits and why not. */
  outdated(): Promise<unknown>;
  /** `POST /plugins/export`: the offline bundle (set, lockfile, tarballs) as a .tgz stream. */
  exportBundle(): Promise<Readable>;
  /** `POST /plugins/import`: installs an offline bundle (a .tgz file on disk) offline, serves it and publishes it. */
  importBundle(file: string): Promise<unknown>;
}
