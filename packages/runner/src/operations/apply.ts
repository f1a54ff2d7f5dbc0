/**
 * Apply, whole: bundle (bundle.ts), sync (sync.ts), reload (the server's, when there is one),
 * then publish the result as the set's new generation (generation.ts). A plugin whose apply
 * fails does not stay in the set.
 */
import { realpath } from "node:fs/promises";
import { isCosmoError } from "@cosmo/core";
import { withApplyLock } from "./apply-lock";
import { bundlePlugins, type BundleSummary } from "./bundle";
import type { OperationsContext } from "./context";
import { phase, silentProgress, withFetchCount, type ProgressReporter } from "./progress";
import { installGeneration } from "./follow";
import { admitGeneration, asGeneration, currentGeneration, draftGeneration, isNewer, markBundle, publishGeneration, readBundleGeneration, withLockfile, type Generation } from "./generation";
import { failureText } from "./install";
import { setLine } from "./pin";
import { changeSet, installedSources, setVersion } from "./plugin-set";
import { summarizeSync, syncBundle, type SyncSummary } from "./sync";
import type { PluginCounts, ReloadOptions, ReloadResult } from "../worker/messages";

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
    let sources: string[] = [];
    try {
      const prepared = await withApplyLock(ctx, async () => {
        const [records, version] = await Promise.all([ctx.store.list(), setVersion(ctx)]);
        sources = installedSources(records);
        const bundle = await phase(report, "bundle", "Writing the bundled manifest", () => bundlePlugins(ctx, sources), (b) => ({
          message: `Bundled manifest written: ${plural(b.sources.length, "plugin")}`,
          plugins: b.sources.length,
        }));
        // The generation is drafted before the sync so the new bundle carries its marker from the
        // moment it is current, and is refused if the current bundle holds a newer one already.
        const draft = draftGeneration(version, sources);
        let synced = await phase(report, "sync", `Installing ${plural(bundle.sources.length, "plugin")} and their dependencies (scripts off)`, () => withFetchCount(report, "sync", () => syncBundle(ctx, { admit: admitGeneration(ctx, draft) })), (s) => ({
          message: s.changed ? `Bundle ${s.bundle} installed: ${plural(s.packages, "package")}` : s.superseded ? `Bundle ${s.bundle} already holds a newer generation of the set: kept` : `Bundle ${s.bundle} already holds this set: nothing to install`,
          packages: s.packages,
        }));
        let generation: Generation;
        // Only a generation this apply made or already held is its to publish; a newer one found
        // in the bundle or the store is served, and its maker publishes it.
        let ours = true;
        if (synced.changed) generation = await withLockfile(draft, synced.lockfile);
        else {
          // An unchanged bundle keeps the generation it holds: a no-op apply makes no new one.
          const held = await readBundleGeneration(synced.path);
          // A marker from another store's history (see outranks) counts for nothing here.
          const known = held !== null && held.set_version <= (await setVersion(ctx));
          if (held && known && (synced.superseded || sameSources(held.sources, sources) || isNewer(held, draft))) {
            generation = await asGeneration(held, synced.lockfile);
            ours = !synced.superseded && sameSources(held.sources, sources);
          } else {
            generation = await withLockfile(draft, synced.lockfile);
            await markBundle(synced.path, generation);
          }
        }
        // The set may have moved on while this apply synced: another runner (or another worker of
        // this one, mid-reload) published a newer generation. Serve that one, never step back onto
        // ours: racing applies then only ever move a runner forward (fleet test, concurrent applies).
        const newer = await currentGeneration(ctx).catch(() => null);
        if (newer !== null && newer.id !== generation.id && isNewer(newer, generation)) {
          const startedAt = performance.now();
          synced = await summarizeSync(await installGeneration(ctx, newer), startedAt);
          const held = synced.superseded ? await readBundleGeneration(synced.path) : null;
          generation = held ? await asGeneration(held, synced.lockfile) : newer;
          ours = false;
        }
        return { bundle, synced, generation, ours };
      });
      const { bundle, synced, generation, ours } = prepared;
      // The reload loads what the bundle link points at, which only ever moves forward (see
      // admitGeneration): at least `generation`, never an older one.
      const served = serve ? await serve({ bundle, sync: synced, generation }) : undefined;
      const published = ours ? await publishGeneration(ctx, generation) : false;
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

/** What a server gives an apply: what it serves now, and how it reloads. */
export interface ApplyServer {
  /** The bundle this server serves (realpath), or null. */
  bundle: string | null;
  /** Started with --clean: it serves no plugin, across reloads too. */
  clean: boolean;
  /** Its plugin counts, the answer of an apply that needs no reload. */
  counts(): PluginCounts;
  /** True once another worker took over (this one drains): what it serves no longer counts. */
  retired?(): boolean;
  /** A new worker on the current bundle; rejects (COSMO_E_WORKER_START_FAILED, COSMO_E_RELOAD_UNAVAILABLE) while this one serves. */
  requestReload(options?: ReloadOptions): Promise<ReloadResult>;
}

/**
 * `POST /plugins/apply`: bundle, sync, reload, publish. Answers once the new worker serves the
 * new bundle, or with the error while this one still serves. An apply that changes nothing, on
 * the worker that already serves its bundle, answers at once, without a reload.
 */
export async function applyAndReload(ctx: OperationsContext, server: ApplyServer, report: ProgressReporter = silentProgress) {
  const startedAt = performance.now();
  const outcome = await applySet(
    ctx,
    async ({ sync }): Promise<ReloadResult> => {
      const served = !server.retired?.() && !sync.changed && !server.clean && server.bundle !== null && (await realpath(sync.path).catch(() => sync.path)) === server.bundle;
      if (served) {
        report({ phase: "reload", state: "done", message: `Nothing changed: this worker already serves bundle ${sync.bundle}`, took_ms: 0 });
        return { bundle: server.bundle, bundleId: sync.bundle, pid: process.pid, plugins: server.counts(), took_ms: 0 };
      }
      return phase(report, "reload", "Starting a worker on the new bundle; the current one serves until it is ready", () => server.requestReload({ rollbackOnFailure: true, reason: "apply", unlessServed: true }), (r) => ({
        message: `The new worker serves bundle ${sync.bundle}: ${r.plugins.active} active, ${r.plugins.failed} failed`,
        plugins: r.plugins.total,
      }));
    },
    report,
  );
  const { bundle, sync, generation } = outcome;
  return {
    plugins: bundle.sources,
    bundle: sync.bundle,
    previous: sync.previous,
    lockfile: sync.lockfile,
    changed: sync.changed,
    generation: generation.id,
    sync_ms: sync.took_ms,
    reload: outcome.served,
    took_ms: Math.round(performance.now() - startedAt),
    // A runner started with --clean keeps serving no plugin across reloads.
    ...(server.clean ? { clean: true } : {}),
  };
}
