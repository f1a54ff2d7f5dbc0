/**
 * Export and import: a runner's plugin set as one offline bundle (see @cosmo/bundler's
 * offline-bundle.ts), for a machine with no registry. Export reads the current bundle; import
 * installs the archive's exact lockfile offline first and only then makes its set the data dir's
 * set, so a failed import (a tampered tarball, a bad file) changes nothing.
 */
import { basename } from "node:path";
import type { Readable } from "node:stream";
import {
  addTracked,
  createBundle,
  exportBundleStream,
  importBundle,
  listTracked,
  removeTracked,
  sync,
  writeBundledManifest,
  type OfflineBundleMeta,
} from "@cosmo/bundler";
import { coreVersion, isCosmoError } from "@cosmo/core";
// Named import: tsup inlines just the version, not the whole manifest.
import { version as runnerVersion } from "../../package.json";
import type { OperationsContext } from "./context";

/** The archive of the data dir's current bundle and set, as a stream (a .tgz). */
export async function exportPlugins(ctx: OperationsContext): Promise<{ stream: Readable; meta: OfflineBundleMeta }> {
  const [sources, npmOptions, records] = await Promise.all([listTracked(ctx.dataDir), ctx.npmOptions(), ctx.store.list()]);
  return exportBundleStream({
    dataDir: ctx.dataDir,
    sources,
    npmOptions,
    meta: {
      made_by: { runner: runnerVersion, core: coreVersion, node: process.version },
      records: records.filter((r) => sources.includes(r.source.trim())).map((r) => ({ name: r.name, source: r.source })),
    },
  });
}

/** What an import did. */
export interface ImportSummary {
  /** The set now tracked, in order. */
  sources: string[];
  /** Package name of each plugin. */
  plugins: string[];
  /** The new bundle's id (its dir under bundle.versions/). */
  bundle: string;
  lockfile: string;
  changed: boolean;
  took_ms: number;
}

// A source tracked or untracked by another process meanwhile is not an error: the end state is.
const tolerate = (code: string) => (error: unknown) => {
  if (!(isCosmoError(error) && error.code === code)) throw error;
};

/**
 * Imports an offline bundle into the data dir: tarballs checked against their pinned integrity
 * and cached, the archive's lockfile installed offline (no registry is asked anything), then its
 * set tracked and its records made `installed` (records of plugins not in it go back to
 * `pending`). The caller reloads a running runner onto the new bundle.
 */
export function importPlugins(ctx: OperationsContext, file: string): Promise<ImportSummary> {
  return ctx.serial(async () => {
    const startedAt = performance.now();
    const npmOptions = await ctx.npmOptions();
    const imported = await importBundle(file, { dataDir: ctx.dataDir, npmOptions });
    const offline = { ...npmOptions, offline: true, preferOnline: false };
    const bundle = await createBundle({ hostDir: ctx.hostDir, sources: imported.sources, dataDir: ctx.dataDir, npmOptions: offline });
    const result = await sync({ dataDir: ctx.dataDir, manifest: bundle.manifest, lockfile: imported.lockfile, npmOptions: offline });
    await writeBundledManifest(ctx.dataDir, bundle.manifest);

    // The set: exactly the archive's, in its order.
    const tracked = await listTracked(ctx.dataDir);
    for (const source of tracked) {
      if (!imported.sources.includes(source)) await removeTracked(ctx.dataDir, source).catch(tolerate("COSMO_E_TRACKING_NOT_FOUND"));
    }
    for (const source of imported.sources) {
      if (!tracked.includes(source)) await addTracked(ctx.dataDir, source).catch(tolerate("COSMO_E_TRACKING_DUPLICATE"));
    }
    const names = new Map(bundle.plugins.map((p) => [p.raw, p.name]));
    for (const source of imported.sources) {
      const record = (await ctx.store.findBySource(source)) ?? (await ctx.store.create({ name: names.get(source) ?? source, source }));
      await ctx.store.update(record.id, { install_status: "installed", name: names.get(source) ?? record.name, error_message: null, conflicts: null });
    }
    for (const record of await ctx.store.list()) {
      if (record.install_status === "installed" && !imported.sources.includes(record.source.trim())) {
        await ctx.store.update(record.id, { install_status: "pending", error_message: null, conflicts: null });
      }
    }
    return {
      sources: imported.sources,
      plugins: bundle.plugins.map((p) => p.name),
      bundle: basename(result.path),
      lockfile: result.lockfile,
      changed: result.changed,
      took_ms: Math.round(performance.now() - startedAt),
    };
  });
}
