/**
 * Bundle, sync and apply: the production steps. `bundle` writes package.bundled.json (host
 * + the plugin set) into the data dir, `sync` installs it as the new current bundle (Arborist,
 * scripts off, atomic swap), and apply does both, has the server serve the result and publishes
 * it as the set's new generation. A plugin whose apply fails does not stay in the set.
 */
import { access, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { BUNDLED_MANIFEST, createBundle, sync, writeBundledManifest, type SyncResult } from "@cosmo/bundler";
import { createError, isCosmoError } from "@cosmo/core";
import type { OperationsContext } from "./context";
import { phase, silentProgress, withFetchCount, type ProgressReporter } from "./progress";
import { asGeneration, currentGeneration, markBundle, newGeneration, publishGeneration, readBundleGeneration, type Generation } from "./generation";
import { failureText } from "./install";
import { setLine } from "./pin";
import { changeSet, installedSources, setVersion } from "./plugin-set";
import { bundlerSourcePolicy } from "./source-policy";

/** What `bundle` wrote. */
export interface BundleSummary {
  /** The package.bundled.json written. */
  file: string;
  /** The plugin sources it holds, in set order. */
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

/** Writes `<dataDir>/package.bundled.json` for the plugin set (default: the store's installed records). */
export async function bundlePlugins(ctx: OperationsContext, sources?: string[]): Promise<BundleSummary> {
  const set = sources ?? installedSources(await ctx.store.list());
  const bundle = await createBundle({
    hostDir: ctx.hostDir,
    sources: set,
    dataDir: ctx.dataDir,
    npmOptions: await ctx.npmOptions(),
    // The policy the check applied: a source it let in must also bundle (git with the opt-in).
    ...bundlerSourcePolicy(ctx.sourcePolicy),
  });
  const file = await writeBundledManifest(ctx.dataDir, bundle.manifest);
  return { file, sources: set, plugins: bundle.plugins.map((p) => p.name) };
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

/** What an apply did. */
export interface ApplyOutcome<R> {
  bundle: BundleSummary;
  sync: SyncSummary;
  /** The generation the apply made (published when it became the current one). */
  generation: Generation;
  published: boolean;
  /** What `serve` returned (the reload), when given. */
  served?: R;
}

// Failures that say something about the set's plugins (as opposed to the store, a lock, a disk).
const BLAMING = new Set([
  "COSMO_E_SYNC_FAILED",
  "COSMO_E_RESOLVE_FAILED",
  "COSMO_E_SPEC_INVALID",
  "COSMO_E_SOURCE_FORBIDDEN",
  "COSMO_E_SOURCE_UNREACHABLE",
  "COSMO_E_CONFLICT",
  "COSMO_E_WORKER_START_FAILED",
  "COSMO_E_HOST_RANGE",
]);

/**
 * The sources a failed apply is blamed on: the one the error names, else those that joined the
 * set since the last generation that applied (with none, the whole set).
 */
async function blamed(ctx: OperationsContext, sources: string[], error: unknown): Promise<string[]> {
  if (!isCosmoError(error) || !BLAMING.has(error.code)) return [];
  if (error.code === "COSMO_E_SYNC_FAILED" && /another sync or rollback/.test(String(error.details.reason))) return [];
  const named = typeof error.details.source === "string" ? error.details.source.trim() : undefined;
  if (named && sources.includes(named)) return [named];
  const last = (await currentGeneration(ctx).catch(() => null)) ?? null;
  const before = last?.sources ?? [];
  return sources.filter((s) => !before.includes(s));
}

/** Marks the blamed records `failed`, so the set goes back to one that applies. */
async function failBlamed(ctx: OperationsContext, sources: string[], error: unknown): Promise<void> {
  const culprits = await blamed(ctx, sources, error);
  if (culprits.length === 0) return;
  await changeSet(ctx, async (lease) => {
    for (const record of await ctx.store.list()) {
      if (record.install_status !== "installed" || !culprits.includes(setLine(record))) continue;
      await ctx.store.update(record.id, { install_status: "failed", error_message: `apply failed: ${failureText(error)}` }, lease);
    }
  });
}

/**
 * Bundle, sync, `serve` (the reload, when there is a server), then publish the generation, in
 * the operations' queue. On failure the plugins the failure is blamed on leave the set
 * (`failed`, with the reason) and the error is thrown.
 */
export function applySet<R>(
  ctx: OperationsContext,
  serve?: (outcome: Omit<ApplyOutcome<R>, "published">) => Promise<R>,
  report: ProgressReporter = silentProgress,
): Promise<ApplyOutcome<R>> {
  return ctx.serial(async () => {
    const [records, version] = await Promise.all([ctx.store.list(), setVersion(ctx)]);
    const sources = installedSources(records);
    try {
      const bundle = await phase(report, "bundle", "Writing the bundled manifest", () => bundlePlugins(ctx, sources), (b) => ({
        message: `Bundled manifest written: ${plural(b.sources.length, "plugin")}`,
        plugins: b.sources.length,
      }));
      const synced = await phase(report, "sync", `Installing ${plural(bundle.sources.length, "plugin")} and their dependencies (scripts off)`, () => withFetchCount(report, "sync", () => syncBundle(ctx)), (s) => ({
        message: s.changed ? `Bundle ${s.bundle} installed: ${plural(s.packages, "package")}` : `Bundle ${s.bundle} already holds this set: nothing to install`,
        packages: s.packages,
      }));
      // An unchanged bundle keeps the generation it holds: a no-op apply makes no new one.
      const held = synced.changed ? null : await readBundleGeneration(synced.path);
      const generation = held && sameSources(held.sources, sources) ? await asGeneration(held, synced.lockfile) : await newGeneration(version, sources, synced.lockfile);
      if (generation !== held) await markBundle(synced.path, generation);
      const served = serve ? await serve({ bundle, sync: synced, generation }) : undefined;
      const published = await publishGeneration(ctx, generation);
      return { bundle, sync: synced, generation, published, served };
    } catch (error) {
      await failBlamed(ctx, sources, error).catch(() => undefined);
      throw error;
    }
  });
}

const sameSources = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((s, i) => s === b[i]);

/**
 * Bundle then sync (and publish), with no server to reload: the CLI's apply when no runner
 * runs. `report` hears each phase start and finish, with the plugin and package counts.
 */
export async function bundleAndSync(
  ctx: OperationsContext,
  report: ProgressReporter = silentProgress,
): Promise<{ bundle: BundleSummary; sync: SyncSummary; generation: string }> {
  const { bundle, sync: synced, generation } = await applySet(ctx, undefined, report);
  return { bundle, sync: synced, generation: generation.id };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** The generation a bundle dir holds (re-exported for the report and /health). */
export { readBundleGeneration };
