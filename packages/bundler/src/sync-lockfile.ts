/**
 * Installing one exact lockfile, as `npm ci` does: what a runner of a fleet does with the
 * generation another runner published. The tree comes from the lockfile, never from a new
 * resolution, so every runner serves the same versions from the same tarballs; the result is
 * compared with the lockfile given before it becomes current, and refused if they differ.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createError } from "@cosmo/core";
import type { BundledManifest } from "./bundle";
import { sync, type BundleLocation, type SyncOptions, type SyncResult } from "./sync";
import type { NpmOptions } from "./npm-options";

/** Options of {@link syncLockfile}. */
export type SyncLockfileOptions = BundleLocation & {
  /** The bundled manifest of this host (its host links are this machine's). */
  manifest: BundledManifest;
  /** The package-lock.json text to install. */
  lockfile: string;
  npmOptions?: NpmOptions;
  /** Asked before the new bundle becomes current, as sync's `admit`. */
  admit?: SyncOptions["admit"];
};

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
}

/**
 * The installed packages of a lockfile: `node_modules/...` entries that are not links (links
 * point at the host's own packages, whose paths are each machine's).
 */
export function lockedPackages(lockfile: string): Record<string, LockEntry> {
  const parsed = JSON.parse(lockfile) as { packages?: Record<string, LockEntry> };
  const out: Record<string, LockEntry> = {};
  for (const [key, entry] of Object.entries(parsed.packages ?? {})) {
    if (!key.startsWith("node_modules/") && !key.includes("/node_modules/")) continue;
    if (entry.link) continue;
    out[key] = { version: entry.version, resolved: entry.resolved, integrity: entry.integrity };
  }
  return out;
}

/** The first package where two lockfiles disagree, or undefined when they install the same tree. */
export function lockDifference(expected: string, actual: string): string | undefined {
  const a = lockedPackages(expected);
  const b = lockedPackages(actual);
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[key];
    const y = b[key];
    if (!x || !y) return `${key} is ${x ? "missing from" : "extra in"} the installed tree`;
    if (x.version !== y.version || (x.integrity && y.integrity && x.integrity !== y.integrity)) {
      return `${key} is ${y.version} instead of ${x.version}`;
    }
  }
  return undefined;
}

/**
 * Installs `lockfile` as the new current bundle (no resolution). Throws COSMO_E_SYNC_FAILED
 * when it cannot be installed as given; the current bundle is then the one before.
 * @example await syncLockfile({ dataDir, manifest, lockfile: generation.lockfile, npmOptions })
 */
export async function syncLockfile(options: SyncLockfileOptions): Promise<SyncResult> {
  const { lockfile, admit, ...location } = options;
  // sync() takes a lockfile as an object (a string there is a path).
  return sync({
    ...location,
    lockfile: JSON.parse(lockfile) as Record<string, unknown>,
    // Compared before the switch, under the sync's lock: a tree that is not the lockfile's never
    // becomes current, so there is nothing to roll back (a rollback after the switch could undo
    // another writer's sync that landed in between).
    admit: async (staged, current) => {
      const difference = lockDifference(lockfile, await readFile(join(staged, "package-lock.json"), "utf8"));
      if (difference !== undefined) throw createError("COSMO_E_SYNC_FAILED", { reason: `the lockfile could not be installed as given: ${difference}` });
      return admit ? admit(staged, current) : true;
    },
  });
}
