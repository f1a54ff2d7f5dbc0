/**
 * Bundle, sync and apply: the seed's production steps. `bundle` writes package.bundled.json (host
 * + tracked plugins) into the data dir, `sync` installs it as the new current bundle (Arborist,
 * scripts off, atomic swap), and apply does both and then has the server serve the result.
 */
import { access, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { BUNDLED_MANIFEST, createBundle, listTracked, sync, writeBundledManifest, type SyncResult } from "@cosmo/bundler";
import { createError } from "@cosmo/core";
import type { OperationsContext } from "./context";
import { phase, silentProgress, type ProgressReporter } from "./progress";
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
  /** Packages installed in the bundle (its lockfile's entries, not counting links to the host's). */
  packages: number;
}

/** Writes `<dataDir>/package.bundled.json` for the tracked plugins (on a shared store, the shared set). */
export async function bundlePlugins(ctx: OperationsContext): Promise<BundleSummary> {
  await adoptSharedPluginSet(ctx);
  const sources = await listTracked(ctx.dataDir);
  const bundle = await createBundle({ hostDir: ctx.hostDir, sources, dataDir: ctx.dataDir, npmOptions: await ctx.npmOptions() });
  const file = await writeBundledManifest(ctx.dataDir, bundle.manifest);
  return { file, sources, plugins: bundle.plugins.map((p) => p.name) };
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

async function summary(result: SyncResult, startedAt: number): Promise<SyncSummary> {
  return {
    bundle: basename(result.path),
    path: result.path,
    lockfile: result.lockfile,
    previous: result.previous === undefined ? null : basename(result.previous),
    changed: result.changed,
    took_ms: Math.round(performance.now() - startedAt),
    packages: await countPackages(result.lockfile),
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

/**
 * Bundle then sync, in the operations' queue (an install meanwhile waits for the bundle it
 * changes). `report` hears each phase start and finish, with the plugin and package counts.
 */
export function bundleAndSync(ctx: OperationsContext, report: ProgressReporter = silentProgress): Promise<{ bundle: BundleSummary; sync: SyncSummary }> {
  return ctx.serial(async () => {
    const bundle = await phase(report, "bundle", "Writing the bundled manifest", () => bundlePlugins(ctx), (b) => ({
      message: `Bundled manifest written: ${plural(b.sources.length, "plugin")}`,
      plugins: b.sources.length,
    }));
    const sync = await phase(report, "sync", `Installing ${plural(bundle.sources.length, "plugin")} and their dependencies (scripts off)`, () => syncBundle(ctx), (s) => ({
      message: s.changed ? `Bundle ${s.bundle} installed: ${plural(s.packages, "package")}` : `Bundle ${s.bundle} already holds this set: nothing to install`,
      packages: s.packages,
    }));
    return { bundle, sync };
  });
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
