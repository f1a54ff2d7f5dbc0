/**
 * `plugins outdated`: for each installed plugin from a registry, the published versions newer
 * than the one installed, each checked against the runner and the other plugins, so a person
 * sees which they can upgrade to and why the others do not fit.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { currentBundle, parseSource, type NewerVersion } from "@cosmo/bundler";
import type { OperationsContext } from "./context";
import { installedSources } from "./plugin-set";

/** One installed plugin's newer versions. */
export interface OutdatedPlugin {
  id: string;
  name: string;
  source: string;
  /** The version the current bundle holds (null before the first apply). */
  current: string | null;
  /** The newest newer version that fits, if any: what `plugins upgrade` would pick. */
  fits: string | null;
  /** Newer versions, newest first, each with whether it fits and its conflicts. */
  newer: NewerVersion[];
  /** Why the plugin was not looked at (not from a registry, not applied yet), else null. */
  skipped: string | null;
}

/** The version of each top-level package in the current bundle's lockfile. */
async function bundledVersions(dataDir: string): Promise<Map<string, string>> {
  try {
    const bundle = await currentBundle(dataDir);
    const lock = JSON.parse(await readFile(join(bundle, "package-lock.json"), "utf8")) as { packages?: Record<string, { version?: string }> };
    const out = new Map<string, string>();
    for (const [location, entry] of Object.entries(lock.packages ?? {})) {
      const match = /^node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(location);
      if (match?.[1] !== undefined && entry.version !== undefined) out.set(match[1], entry.version);
    }
    return out;
  } catch {
    return new Map();
  }
}

/** The installed plugins with their newer versions (see the module comment). */
export async function outdatedPlugins(ctx: OperationsContext): Promise<{ plugins: OutdatedPlugin[] }> {
  const [records, versions, checker] = await Promise.all([ctx.store.list(), bundledVersions(ctx.dataDir), ctx.checker()]);
  const installed = records.filter((r) => r.install_status === "installed");
  const plugins: OutdatedPlugin[] = [];
  for (const record of installed) {
    const base = { id: record.id, name: record.name, source: record.source, newer: [] as NewerVersion[], fits: null };
    const parsed = (() => {
      try {
        return parseSource(record.source, { allowGit: true, allowRemote: true });
      } catch {
        return undefined;
      }
    })();
    const current = versions.get(record.name) ?? null;
    if (parsed?.type !== "registry") {
      plugins.push({ ...base, current, skipped: "not installed from a registry: install the new tarball or source instead" });
      continue;
    }
    if (current === null) {
      plugins.push({ ...base, current, skipped: "not in the current bundle yet: run `cosmo-runner apply` first" });
      continue;
    }
    const others = installedSources(records.filter((r) => r.id !== record.id));
    const newer = await checker.newerVersions({ name: record.name, current, installed: others });
    plugins.push({ ...base, current, newer, fits: newer.find((v) => v.fits)?.version ?? null, skipped: null });
  }
  return { plugins };
}
