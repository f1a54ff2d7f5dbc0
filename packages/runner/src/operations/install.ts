/**
 * Install and uninstall: test for conflicts before committing anything. Install checks the
 * record's source against the plugin set in memory and commits it to the set only when nothing
 * conflicts; a conflict leaves the set as it was and the record `failed`.
 *
 * Check and commit form one critical section without holding the set lock through a slow check:
 * the check runs against a snapshot of the set, and the commit (under the lock) re-checks when
 * the set moved meanwhile, which is fast with the packuments already fetched. A source that
 * does not answer thus holds no other install behind it, and nothing is committed that was not
 * checked against the set it joins.
 */
import {
  conflictMessage,
  explainConflict,
  renderConflicts,
  renderSkipped,
  type CheckedPlugin,
  type Conflict,
  type SkippedVersion,
} from "@cosmo/bundler";
import { createError, errorMessage, isCosmoError, type CosmoError } from "@cosmo/core";
import type { SetLease } from "../store/set-lock";
import type { PluginRecord, PluginRecordPatch } from "../store/types";
import type { OperationsContext } from "./context";
import { changeSet, installedSources, setVersion } from "./plugin-set";

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
 * The error for a source that does not fit: COSMO_E_NOT_FOUND when all that is wrong is a
 * package or version the registry lacks, COSMO_E_SOURCE_FORBIDDEN when it is a source kind the
 * host refuses, else COSMO_E_CONFLICT. Each carries the data in `details.conflicts`, the
 * rendering in `details.text`, and the resolved package name in `details.plugin` when known.
 */
export function conflictError(source: string, conflicts: Conflict[], plugin?: string, skipped: SkippedVersion[] = []): CosmoError {
  // The message template adds its own full stop.
  const summary = conflicts.map((c) => conflictMessage(c).replace(/\.$/, "")).join("; ");
  const passed = plugin === undefined ? "" : renderSkipped(plugin, skipped);
  const text = passed === "" ? renderConflicts(conflicts) : `${renderConflicts(conflicts)}\n\n${passed}`;
  // `explanations[i]` is conflicts[i] in sentences (message, sides, fix): what the manager page lays out.
  const details = {
    source,
    summary,
    conflicts,
    explanations: conflicts.map(explainConflict),
    skipped,
    text,
    ...(plugin ? { plugin } : {}),
  };
  // Nothing to reconcile, only something missing or refused: their own codes (and statuses,
  // and CLI exit codes), so a script can tell a typo from a clash.
  if (conflicts.length > 0 && conflicts.every((c) => c.kind === "not-found" || c.kind === "no-matching-version")) {
    return createError("COSMO_E_NOT_FOUND", details);
  }
  const forbidden = conflicts[0];
  if (forbidden?.kind === "forbidden-source" && conflicts.every((c) => c.kind === "forbidden-source")) {
    const type = forbidden.sourceType === "git" ? "git" : "remote URL";
    // The template speaks of the source itself; a refused dependency is told in the conflict's words.
    const self = forbidden.package === forbidden.plugin || forbidden.package === source;
    const message = self ? {} : { message: `${summary}. Have the host opt in (${forbidden.optIn}), or use a release of the plugin whose dependencies come from a registry.` };
    return createError("COSMO_E_SOURCE_FORBIDDEN", { ...details, type, option: forbidden.optIn }, message);
  }
  return createError("COSMO_E_CONFLICT", details);
}

/** How long one source's check may take: COSMO_CHECK_TIMEOUT_MS, default 60 s. */
export function checkTimeout(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.COSMO_CHECK_TIMEOUT_MS);
  return Number.isFinite(value) && value > 0 ? value : 60_000;
}
/** The codes `conflictError` gives: each carries `details.conflicts` and `details.text`. */
export const CONFLICT_CODES: readonly string[] = ["COSMO_E_CONFLICT", "COSMO_E_NOT_FOUND", "COSMO_E_SOURCE_FORBIDDEN"];

/**
 * Checks whether `source` can join the host and the plugin set; writes nothing (but the npm
 * cache). Throws COSMO_E_CONFLICT with the conflicts as data, COSMO_E_SOURCE_TIMEOUT when it
 * takes too long, or the coded error of a failed step.
 * @param installed the set's sources; default: the store's installed records (every runner's)
 */
export async function checkSource(ctx: OperationsContext, source: string, installed?: readonly string[]): Promise<CheckOk> {
  const [checker, set] = await Promise.all([ctx.checker(), installed ?? ctx.store.list().then(installedSources)]);
  const limit = checkTimeout();
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    checker.check({ installed: set.filter((s) => s !== source.trim()), candidate: source }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(createError("COSMO_E_SOURCE_TIMEOUT", { source, seconds: Math.round(limit / 1000) })), limit);
    }),
  ]).finally(() => clearTimeout(timer));
  if (!result.ok || result.plugin === undefined) throw conflictError(source, result.conflicts, result.plugin?.name, result.skipped);
  return { ok: true, source, conflicts: [], plugin: result.plugin, skipped: result.skipped };
}

/** The text kept in a failed record: the rendered conflicts, else the error's message. */
export function failureText(error: unknown): string {
  if (isCosmoError(error) && CONFLICT_CODES.includes(error.code) && typeof error.details.text === "string") return error.details.text;
  return isCosmoError(error) ? `${error.code}: ${error.message}` : errorMessage(error);
}

/** What a failed record keeps: the conflicts as data and their rendering, else the error's message. */
function failurePatch(record: PluginRecord, error: unknown): PluginRecordPatch {
  if (isCosmoError(error) && CONFLICT_CODES.includes(error.code) && Array.isArray(error.details.conflicts)) {
    const plugin = typeof error.details.plugin === "string" ? error.details.plugin : record.name;
    return { install_status: "failed", name: plugin, conflicts: error.details.conflicts as Conflict[], error_message: failureText(error) };
  }
  return { install_status: "failed", error_message: failureText(error), conflicts: null };
}

/** The record as it is now, inside the lock: a record deleted meanwhile is a 404, not a resurrection. */
async function current(ctx: OperationsContext, id: string): Promise<PluginRecord> {
  const record = await ctx.store.get(id);
  if (!record) throw createError("COSMO_E_RECORD_NOT_FOUND", { id });
  return record;
}

// Errors that say nothing about the plugin: the record keeps its state, the caller retries.
const TRANSIENT = new Set(["COSMO_E_STORE_UNAVAILABLE", "COSMO_E_SET_LOCKED", "COSMO_E_SET_LOCK_LOST", "COSMO_E_RECORD_NOT_FOUND"]);

/**
 * Checks the record's source and, when it fits, makes the record `installed` (the set and the
 * tracking file change with it). On a conflict or a failed check the record becomes `failed`
 * with the reason in error_message and the error is thrown; the set is not touched.
 */
export async function installPlugin(ctx: OperationsContext, record: PluginRecord): Promise<PluginRecord> {
  const source = record.source.trim();
  const [records, version] = await Promise.all([ctx.store.list(), setVersion(ctx)]);
  const found = records.find((r) => r.id === record.id);
  if (!found) throw createError("COSMO_E_RECORD_NOT_FOUND", { id: record.id });
  const markFailed = (error: unknown) =>
    changeSet(ctx, async (lease) => {
      await current(ctx, record.id);
      return ctx.store.update(record.id, failurePatch(record, error), lease);
    });

  // Installing twice is not an error: the plugin is where the caller wants it.
  let checked: CheckOk | undefined;
  if (found.install_status !== "installed") {
    try {
      checked = await checkSource(ctx, source, installedSources(records));
    } catch (error) {
      if (isCosmoError(error) && TRANSIENT.has(error.code)) throw error;
      await markFailed(error).catch(() => undefined);
      throw error;
    }
  }
  let refused: unknown;
  const committed = await changeSet(ctx, async (lease: SetLease) => {
    const [now, versionNow] = await Promise.all([current(ctx, record.id), setVersion(ctx)]);
    if (now.install_status === "installed") return now;
    if (versionNow !== version) {
      // The set moved while we checked: check again against the set as it is, still locked.
      try {
        checked = await checkSource(ctx, source, installedSources(await ctx.store.list()));
      } catch (error) {
        if (isCosmoError(error) && TRANSIENT.has(error.code)) throw error;
        refused = error;
        return ctx.store.update(record.id, failurePatch(record, error), lease);
      }
    }
    // The set holds the exact version checked (pin.ts), not the range asked for.
    const pinned = checked ? { name: checked.plugin.name, version: checked.plugin.version, integrity: checked.plugin.integrity } : {};
    return ctx.store.update(record.id, { install_status: "installed", ...pinned, error_message: null, conflicts: null }, lease);
  });
  if (refused !== undefined) throw refused;
  return committed;
}

/**
 * Takes the record out of the set (it goes back to `pending`). The running plugins change at
 * the next apply.
 */
export function uninstallPlugin(ctx: OperationsContext, record: PluginRecord): Promise<PluginRecord> {
  return changeSet(ctx, async (lease) => {
    await current(ctx, record.id);
    return ctx.store.update(record.id, { install_status: "pending", error_message: null, conflicts: null }, lease);
  });
}

/** Deletes a record, leaving the set in the same step when it was in it. Returns the record as it was. */
export function removePlugin(ctx: OperationsContext, record: PluginRecord): Promise<PluginRecord> {
  return changeSet(ctx, async (lease) => {
    const now = await current(ctx, record.id);
    await ctx.store.remove(record.id, lease);
    return now;
  });
}
