/**
 * Install and uninstall: the seed's "test for conflicts before committing". Install checks the
 * record's source against the tracked plugins in memory and appends it to the tracking file only
 * when nothing conflicts; a conflict leaves the tracking file as it was and the record `failed`.
 */
import {
  addTracked,
  conflictMessage,
  explainConflict,
  listTracked,
  removeTracked,
  renderConflicts,
  renderSkipped,
  type CheckedPlugin,
  type Conflict,
  type SkippedVersion,
} from "@cosmo/bundler";
import { createError, errorMessage, isCosmoError, type CosmoError } from "@cosmo/core";
import type { PluginRecord, PluginRecordPatch } from "../store/types";
import type { OperationsContext } from "./context";

/** The answer of a check that found no conflict. */
export interface CheckOk {
  ok: true;
  source: string;
  conflicts: [];
  /** The plugin as resolved: package name, exact version, integrity. */
  plugin: CheckedPlugin;
  /** Newer versions the source's range matched that do not fit, and why. */
  skipped: SkippedVersion[];
}

/**
 * The COSMO_E_CONFLICT error for a source: data in `details.conflicts`, the rendering in
 * `details.text`, and the resolved package name in `details.plugin` when it is known.
 */
export function conflictError(source: string, conflicts: Conflict[], plugin?: string, skipped: SkippedVersion[] = []): CosmoError {
  // The message template adds its own full stop.
  const summary = conflicts.map((c) => conflictMessage(c).replace(/\.$/, "")).join("; ");
  const passed = plugin === undefined ? "" : renderSkipped(plugin, skipped);
  const text = passed === "" ? renderConflicts(conflicts) : `${renderConflicts(conflicts)}\n\n${passed}`;
  // `explanations[i]` is conflicts[i] in sentences (message, sides, fix): what the manager page lays out.
  return createError("COSMO_E_CONFLICT", {
    source,
    summary,
    conflicts,
    explanations: conflicts.map(explainConflict),
    skipped,
    text,
    ...(plugin ? { plugin } : {}),
  });
}

/**
 * Checks whether `source` can join the host and the tracked plugins; writes nothing (but the npm
 * cache). Throws COSMO_E_CONFLICT with the conflicts as data, or the coded error of a failed step.
 */
export async function checkSource(ctx: OperationsContext, source: string, tracked?: readonly string[]): Promise<CheckOk> {
  // `tracked`: the tracking file's sources when the caller has just read them (no second read).
  const [checker, installed] = await Promise.all([ctx.checker(), tracked ?? listTracked(ctx.dataDir)]);
  const result = await checker.check({ installed: installed.filter((s) => s !== source.trim()), candidate: source });
  if (!result.ok || result.plugin === undefined) throw conflictError(source, result.conflicts, result.plugin?.name, result.skipped);
  return { ok: true, source, conflicts: [], plugin: result.plugin, skipped: result.skipped };
}

/** What a failed record keeps: the conflicts as data and their rendering, else the error's message. */
function failurePatch(record: PluginRecord, error: unknown): PluginRecordPatch {
  if (isCosmoError(error) && error.code === "COSMO_E_CONFLICT" && Array.isArray(error.details.conflicts)) {
    const plugin = typeof error.details.plugin === "string" ? error.details.plugin : record.name;
    return {
      install_status: "failed",
      name: plugin,
      conflicts: error.details.conflicts as Conflict[],
      error_message: typeof error.details.text === "string" ? error.details.text : error.message,
    };
  }
  const text = isCosmoError(error) ? `${error.code}: ${error.message}` : errorMessage(error);
  return { install_status: "failed", error_message: text, conflicts: null };
}

/**
 * Checks the record's source and, when it fits, appends it to the tracking file and marks the
 * record `installed`. On a conflict (or any failed step) the record becomes `failed` with the
 * reason in error_message and the error is thrown; the tracking file is not touched.
 */
export function installPlugin(ctx: OperationsContext, record: PluginRecord): Promise<PluginRecord> {
  return ctx.serial(async () => {
    const tracked = await listTracked(ctx.dataDir);
    // Installing twice is not an error: the plugin is where the caller wants it.
    if (tracked.includes(record.source.trim())) {
      return ctx.store.update(record.id, { install_status: "installed", error_message: null, conflicts: null });
    }
    let checked: CheckOk;
    try {
      checked = await checkSource(ctx, record.source, tracked);
      await addTracked(ctx.dataDir, record.source);
    } catch (error) {
      await ctx.store.update(record.id, failurePatch(record, error));
      throw error;
    }
    return ctx.store.update(record.id, { install_status: "installed", name: checked.plugin.name, error_message: null, conflicts: null });
  });
}

/**
 * Takes the record's source out of the tracking file (if it is there) and sets the record back
 * to `pending`. The running plugins change at the next apply.
 */
export function uninstallPlugin(ctx: OperationsContext, record: PluginRecord): Promise<PluginRecord> {
  return ctx.serial(async () => {
    try {
      await removeTracked(ctx.dataDir, record.source);
    } catch (error) {
      // Not tracked (a failed install, or an edit by hand): the goal is reached all the same.
      if (!(isCosmoError(error) && error.code === "COSMO_E_TRACKING_NOT_FOUND")) throw error;
    }
    return ctx.store.update(record.id, { install_status: "pending", error_message: null, conflicts: null });
  });
}
