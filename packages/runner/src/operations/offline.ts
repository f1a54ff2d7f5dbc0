/**
 * Export and import: a runner's plugin set as one offline bundle (see @cosmo/bundler's
 * offline-bundle.ts), for a machine with no registry. Export reads the current bundle; import
 * installs the archive's exact lockfile offline first and only then makes its set the data dir's
 * set, so a failed import (a tampered tarball, a bad file) changes nothing.
 */
import { basename } from "node:path";
import type { Readable } from "node:stream";
import { createBundle, exportBundleStream, importBundle, sync, writeBundledManifest, type OfflineBundleMeta } from "@cosmo/bundler";
import { coreVersion } from "@cosmo/core";
// Named import: tsup inlines just the version, not the whole manifest.
import { version as runnerVersion } from "../../package.json";
import type { OperationsContext } from "./context";
import { draftGeneration, markBundle, publishGeneration, withLockfile } from "./generation";
import { setLine } from "./pin";
import { changeSet, installedSources, setVersion } from "./plugin-set";

/** The archive of the data dir's current bundle and set, as a stream (a .tgz). */
export async function exportPlugins(ctx: OperationsContext): Promise<{ stream: Readable; meta: OfflineBundleMeta }> {
  const [records, npmOptions] = await Promise.all([ctx.store.list(), ctx.npmOptions()]);
  const sources = installedSources(records);
  return exportBundleStream({
    dataDir: ctx.dataDir,
    sources,
    npmOptions,
    meta: {
      made_by: { runner: runnerVersion, core: coreVersion, node: process.version },
      // Each plugin's record as the user made it (its source, maybe a range) and the line it pins
      // in the set, so an import keeps `plugins upgrade` working from the same source.
      records: records
        .filter((r) => r.install_status === "installed" && sources.includes(setLine(r)))
        .map((r) => ({ name: r.name, source: r.source, version: r.version, integrity: r.integrity, line: setLine(r) })),
    },
  });
}

/** A record as an export lists it. */
interface ExportedRecord {
  name: string;
  source: string;
  version: string | null;
  integrity: string | null;
  /** Its line in the exported set. */
  line: string;
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
  /** The generation the import made: on a shared store the fleet follows it. */
  generation: string;
  /** Whether it became the store's current generation (false: a newer set was there). */
  published: boolean;
  took_ms: number;
}

/**
 * Imports an offline bundle into the data dir: tarballs checked against their pinned integrity
 * and cached, the archive's lockfile installed offline (no registry is asked anything), then its
 * set tracked and its records made `installed` (records of plugins not in it go back to
 * `pending`). `serve` (a running runner's reload) runs before the import is published as the
 * set's new generation, as an apply's does, so the fleet follows only what serves here.
 */
export function importPlugins(ctx: OperationsContext, file: string, serve?: (bundle: string) => Promise<unknown>): Promise<ImportSummary & { served?: unknown }> {
  return ctx.serial(async () => {
    const startedAt = performance.now();
    const npmOptions = await ctx.npmOptions();
    const imported = await importBundle(file, { dataDir: ctx.dataDir, npmOptions });
    const offline = { ...npmOptions, offline: true, preferOnline: false };
    const bundle = await createBundle({ hostDir: ctx.hostDir, sources: imported.sources, dataDir: ctx.dataDir, npmOptions: offline });
    // Drafted now so the bundle is marked before it is current (see admitGeneration). It is never
    // refused: the set changes below, so the import's generation is the newest once published;
    // its marker is written again then, with the set version it gets.
    const draft = draftGeneration(await setVersion(ctx), imported.sources);
    const admit = async (staged: string) => (await markBundle(staged, draft), true);
    const result = await sync({ dataDir: ctx.dataDir, manifest: bundle.manifest, lockfile: imported.lockfile, npmOptions: offline, admit });
    await writeBundledManifest(ctx.dataDir, bundle.manifest);

    // The set becomes exactly the archive's, in one change of the model (the tracking file is
    // rewritten from it): its records installed and pinned, any other record back to pending.
    const names = new Map(bundle.plugins.map((p) => [p.raw, p.name]));
    const exported = Array.isArray(imported.meta.records) ? (imported.meta.records as ExportedRecord[]) : [];
    const lock = (imported.lockfile.packages ?? {}) as Record<string, { version?: string; integrity?: string }>;
    await changeSet(ctx, async (lease) => {
      const kept = new Set<string>();
      for (const line of imported.sources) {
        const name = names.get(line) ?? line;
        const source = exported.find((r) => r.line === line)?.source ?? line;
        const record = (await ctx.store.findBySource(source)) ?? (await ctx.store.create({ name, source }, lease));
        const entry = lock[`node_modules/${name}`];
        const patch = { install_status: "installed" as const, name, version: entry?.version ?? null, integrity: entry?.integrity ?? null };
        await ctx.store.update(record.id, { ...patch, error_message: null, conflicts: null }, lease);
        kept.add(record.id);
      }
      for (const record of await ctx.store.list()) {
        if (record.install_status === "installed" && !kept.has(record.id)) {
          await ctx.store.update(record.id, { install_status: "pending", error_message: null, conflicts: null }, lease);
        }
      }
    });
    // A generation like an apply's: the other runners on a shared store install this lockfile.
    const generation = await withLockfile({ ...draft, set_version: await setVersion(ctx), sources: installedSources(await ctx.store.list()) }, result.lockfile);
    await markBundle(result.path, generation);
    const served = serve ? await serve(basename(result.path)) : undefined;
    const published = await publishGeneration(ctx, generation);
    return {
      sources: imported.sources,
      plugins: bundle.plugins.map((p) => p.name),
      bundle: basename(result.path),
      lockfile: result.lockfile,
      changed: result.changed,
      generation: generation.id,
      published,
      took_ms: Math.round(performance.now() - startedAt),
      ...(serve ? { served } : {}),
    };
  });
}
