/**
 * Several runners on one shared store (redis) serve one plugin set. The records are shared, but
 * each runner bundles from its own tracking file (the seed's installed_plugins.txt, in its own
 * data dir). So before a runner bundles, its tracking file adopts the shared set: the sources of
 * the records marked `installed` are added, and tracked sources no such record names are removed.
 * An install or uninstall on one runner thus reaches every runner at its next apply.
 *
 * Only for shared stores: with files in the data dir the tracking file stays the source of truth
 * (a hand-added line must not be dropped because no record names it).
 */
import { addTracked, listTracked, removeTracked } from "@cosmo/bundler";
import { isCosmoError } from "@cosmo/core";
import type { OperationsContext } from "./context";

/** What adopting the shared plugin set changed in the tracking file. */
export interface AdoptedPluginSet {
  added: string[];
  removed: string[];
}

// A source tracked or installed by another process meanwhile is not an error here: the end state
// is what matters.
const tolerate = (code: string) => (error: unknown) => {
  if (!(isCosmoError(error) && error.code === code)) throw error;
};

/** Brings the tracking file in line with the shared store's installed records (no-op for an unshared store). */
export async function adoptSharedPluginSet(ctx: OperationsContext): Promise<AdoptedPluginSet> {
  if (!ctx.store.shared) return { added: [], removed: [] };
  const installed = new Set((await ctx.store.list()).filter((r) => r.install_status === "installed").map((r) => r.source.trim()));
  const tracked = await listTracked(ctx.dataDir);
  const added = [...installed].filter((s) => !tracked.includes(s));
  const removed = tracked.filter((s) => !installed.has(s));
  for (const source of added) await addTracked(ctx.dataDir, source).catch(tolerate("COSMO_E_TRACKING_DUPLICATE"));
  for (const source of removed) await removeTracked(ctx.dataDir, source).catch(tolerate("COSMO_E_TRACKING_NOT_FOUND"));
  return { added, removed };
}
