/**
 * The admin API's RPC work in a server worker: install, uninstall, remove, apply and report,
 * over the same operations code the CLI runs (src/operations/*). The worker itself provides
 * `installed` (it knows its PluginService). Apply, whole, is operations/apply.ts; the worker
 * gives it what it serves and how it reloads.
 */
import { preloadInstaller } from "@cosmo/bundler";
import type { PluginService } from "@cosmo/core";
import { applyAndReload } from "../operations/apply";
import { createOperationsContext, type OperationsContext } from "../operations/context";
import { installPlugin, removePlugin, uninstallPlugin } from "../operations/install";
import { exportPlugins, importPlugins } from "../operations/offline";
import { outdatedPlugins } from "../operations/outdated";
import { upgradePlugin } from "../operations/upgrade";
import { phase, silentProgress } from "../operations/progress";
import { createReport } from "../operations/report";
import type { PluginOperations } from "../api/operations";
import type { PluginStore } from "../store/types";
import type { PluginCounts, ReloadOptions, ReloadResult } from "./messages";
import { countPlugins } from "./plugins";

/** What a worker offers the operations. */
export interface WorkerContext {
  dataDir: string;
  store: PluginStore;
  /** The services' plugins as this worker runs them. */
  service: PluginService;
  /** The plugin counts as /health gives them (quarantined and disabled included), when known. */
  counts?: () => PluginCounts;
  /** The bundle this worker serves (realpath), or null. */
  bundle: string | null;
  /** True when the runner was started with --clean. */
  clean: boolean;
  /**
   * Asks the supervisor to start a worker on the current bundle and drain this one. Resolves
   * once the new worker serves; rejects with the coded error (COSMO_E_WORKER_START_FAILED,
   * COSMO_E_RELOAD_UNAVAILABLE) while this worker keeps serving. After a sync, pass
   * `{ rollbackOnFailure: true }` so a failed start also puts the previous bundle back.
   * @example await sync({ dataDir, manifest }); return ctx.requestReload({ rollbackOnFailure: true, reason: "apply" })
   */
  requestReload(options?: ReloadOptions): Promise<ReloadResult>;
  /** True once another worker took over and this one drains. */
  retired?: () => boolean;
  /** The operations' shared state; tests pass one with their own host and npm options. */
  operations?: OperationsContext;
}

/** The RPC operations of a worker's admin API (besides `installed`, which the worker serves). */
export function workerOperations(ctx: WorkerContext): Partial<PluginOperations> {
  const ops = ctx.operations ?? createOperationsContext({ dataDir: ctx.dataDir, store: ctx.store });
  return {
    install: (record, report = silentProgress) =>
      phase(report, "check", `Checking ${record.source} against the host and the installed plugins`, () => installPlugin(ops, record), (r) => ({
        message: `No conflicts: ${r.name} is installed; apply to serve it`,
      })),
    uninstall: (record) => {
      // An apply usually follows, and it needs npm's installer, which the worker does not load
      // at start (a second of CPU on a busy machine): load it while the client is between calls.
      void preloadInstaller();
      return uninstallPlugin(ops, record);
    },
    remove: (record) => removePlugin(ops, record),
    apply: (report) => applyAndReload(ops, { bundle: ctx.bundle, clean: ctx.clean, counts: ctx.counts ?? (() => countPlugins(ctx.service)), retired: ctx.retired, requestReload: (options) => ctx.requestReload(options) }, report),
    // What this worker serves, not what the link points at (a sync may have moved it already).
    // A clean runner serves none: its report shows the data dir's bundle, as a start without --clean would serve.
    report: () => createReport(ops, { served_bundle: ctx.bundle, clean: ctx.clean }, ctx.clean ? {} : { served: ctx.bundle }),
    exportBundle: async () => (await exportPlugins(ops)).stream,
    // The imported bundle serves here before the fleet hears of it (importPlugins publishes after `serve`).
    importBundle: async (file) => {
      const { served, ...summary } = await importPlugins(ops, file, () => ctx.requestReload({ rollbackOnFailure: true, reason: "import" }));
      return { ...summary, reload: served };
    },
    upgrade: (record, options, report = silentProgress) =>
      phase(report, "check", `Checking ${record.name}${options.version ? `@${options.version}` : ""} against the host and the other plugins`, () => upgradePlugin(ops, record, options), (r) => ({
        message: `No conflicts: ${r.name} is pinned to ${r.version ?? "its new version"}; apply to serve it`,
      })),
    outdated: () => outdatedPlugins(ops),
  };
}
