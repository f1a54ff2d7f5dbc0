/**
 * Sync: apply's second step. Installs `<dataDir>/package.bundled.json` as the new current bundle
 * (Arborist, scripts off, atomic swap; see @cosmo/bundler's sync). The previous bundle stays as
 * the rollback target.
 */
import { access, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { BUNDLED_MANIFEST, sync, type SyncOptions, type SyncResult } from "@cosmo/bundler";
import { createError } from "@cosmo/core";
import type { OperationsContext } from "./context";

/** What `sync` installed. */
export interface SyncSummary {
  /** The new bundle's id (its dir name under bundle.versions/). */
  bundle: string;
  path: string;
  lockfile: string;
  /** The bundle it replaced, now the rollback target. */
  previous: string | null;
  /** False when the current bundle already held this manifest: no new bundle was made. */
  changed: boolean;
  /** True when the current bundle holds a newer generation than the one synced: it stays (see admitGeneration). */
  superseded?: boolean;
  took_ms: number;
  /** Packages installed in the bundle (its lockfile's entries, not counting links to the host's). */
  packages: number;
}

/** The packages a lockfile lists, minus the root and the links to the host's own copies. */
async function countPackages(lockfile: string): Promise<number> {
  try {
    const lock = JSON.parse(await readFile(lockfile, "utf8")) as { packages?: Record<string, { link?: boolean }> };
    return Object.entries(lock.packages ?? {}).filter(([path, entry]) => path.startsWith("node_modules/") && !entry.link).length;
  } catch {
    // A lockfile that cannot be read takes nothing from the sync that wrote it; the count is a courtesy.
    return 0;
  }
}

/** What a sync did, as apply and `cosmo-runner sync` report it. */
export async function summarizeSync(result: SyncResult, startedAt: number): Promise<SyncSummary> {
  return {
    bundle: basename(result.path),
    path: result.path,
    lockfile: result.lockfile,
    previous: result.previous === undefined ? null : basename(result.previous),
    changed: result.changed,
    ...(result.superseded ? { superseded: true } : {}),
    took_ms: Math.round(performance.now() - startedAt),
    packages: await countPackages(result.lockfile),
  };
}

/**
 * Installs `<dataDir>/package.bundled.json` as the current bundle. Throws COSMO_E_SYNC_FAILED
 * when there is none. `admit` as sync's (an apply passes its generation's, see admitGeneration).
 */
export async function syncBundle(ctx: OperationsContext, options: Pick<SyncOptions, "admit"> = {}): Promise<SyncSummary> {
  const file = join(ctx.dataDir, BUNDLED_MANIFEST);
  try {
    await access(file);
  } catch {
    throw createError("COSMO_E_SYNC_FAILED", { reason: `there is no ${BUNDLED_MANIFEST} in ${ctx.dataDir}; run \`cosmo-runner bundle\` first` });
  }
  const startedAt = performance.now();
  // The checker's options carry the packuments the install checks fetched: resolving the bundle
  // from them spares a registry round-trip per package (most of a fresh apply's time) and
  // installs the versions those checks accepted.
  const npmOptions = (await ctx.checker()).fetchOptions();
  return summarizeSync(await sync({ dataDir: ctx.dataDir, manifest: file, npmOptions, ...options }), startedAt);
}
