/**
 * Bundle, sync and apply: the seed's production steps. `bundle` writes package.bundled.json (host
 * + tracked plugins) into the data dir, `sync` installs it as the new current bundle (Arborist,
 * scripts off, atomic swap), and apply does both and then has the server serve the result.
 */
import { access } from "node:fs/promises";
import { basename, join } from "node:path";
import { BUNDLED_MANIFEST, createBundle, listTracked, sync, writeBundledManifest, type SyncResult } from "@cosmo/bundler";
import { createError } from "@cosmo/core";
import type { OperationsContext } from "./context";
import { adoptSharedPluginSet } from "./shared";

/** What `bundle` wrote. */
export interface BundleSummary {
  /** The package.bundled.json written. */
  file: string;
  /** The plugin sources it holds, in tracking-file order. */
  sources: string[];
  /** Package name of each plugin. */
  plugins: string[];
}

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
  took_ms: number;
}

/** Writes `<dataDir>/package.bundled.json` for the tracked plugins (on a shared store, the shared set). */
export async function bundlePlugins(ctx: OperationsContext): Promise<BundleSummary> {
  await adoptSharedPluginSet(ctx);
  const sources = await listTracked(ctx.dataDir);
  const bundle = await createBundle({ hostDir: ctx.hostDir, sources, dataDir: ctx.dataDir, npmOptions: await ctx.npmOptions() });
  const file = await writeBundledManifest(ctx.dataDir, bundle.manifest);
  return { file, sources, plugins: bundle.plugins.map((p) => p.name) };
}

function summary(result: SyncResult, startedAt: number): SyncSummary {
  return {
    bundle: basename(result.path),
    path: result.path,
    lockfile: result.lockfile,
    previous: result.previous === undefined ? null : basename(result.previous),
    changed: result.changed,
    took_ms: Math.round(performance.now() - startedAt),
  };
}

/** Installs `<dataDir>/package.bundled.json` as the current bundle. Throws COSMO_E_SYNC_FAILED when there is none. */
export async function syncBundle(ctx: OperationsContext): Promise<SyncSummary> {
  const file = join(ctx.dataDir, BUNDLED_MANIFEST);
  try {
    await access(file);
  } catch {
    throw createError("COSMO_E_SYNC_FAILED", { reason: `there is no ${BUNDLED_MANIFEST} in ${ctx.dataDir}; run \`cosmo-runner bundle\` first` });
  }
  const startedAt = performance.now();
  return summary(await sync({ dataDir: ctx.dataDir, manifest: file, npmOptions: await ctx.npmOptions() }), startedAt);
}

/** Bundle then sync, in the operations' queue (an install meanwhile waits for the bundle it changes). */
export function bundleAndSync(ctx: OperationsContext): Promise<{ bundle: BundleSummary; sync: SyncSummary }> {
  return ctx.serial(async () => {
    const bundle = await bundlePlugins(ctx);
    return { bundle, sync: await syncBundle(ctx) };
  });
}
