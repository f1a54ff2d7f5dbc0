/**
 * The plug point for the admin API's RPC work (install, uninstall, apply, report) in a server
 * worker. The worker itself provides `installed` (it knows its PluginService); whoever wires the
 * bundler returns the rest from `workerOperations`, using `ctx.requestReload()` for the reload
 * step of apply. An operation left out keeps its endpoint absent (404), never half-working.
 */
import type { PluginService } from "@cosmo/core";
import type { PluginOperations } from "../operations";
import type { PluginStore } from "../store/types";
import type { ReloadOptions, ReloadResult } from "./messages";

/** What a worker offers the operations. */
export interface WorkerContext {
  dataDir: string;
  store: PluginStore;
  /** The services' plugins as this worker runs them. */
  service: PluginService;
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
}

/** The RPC operations of a worker's admin API (besides `installed`, which the worker serves). */
export function workerOperations(_ctx: WorkerContext): Partial<PluginOperations> {
  // Wired by the bundler integration (check/install/uninstall/apply/report).
  return {};
}
