/**
 * Sync: install a bundled manifest into a new bundle dir with Arborist, then make it the current
 * bundle in one atomic step (layout and why: bundle-dirs.ts). Lifecycle scripts are off by
 * default, the package-lock.json is kept beside node_modules (it goes into bug reports), and a
 * failure at any point leaves the current bundle exactly as it was.
 */
import { copyFile, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Arborist from "@npmcli/arborist";
import { createError, errorMessage, isCosmoError } from "@cosmo/core";
import type { BundledManifest } from "./bundle";
import {
  bundleLayout,
  collectGarbage,
  defaultBundleDir,
  ensureLayout,
  newBundleId,
  pointLink,
  readBundleLink,
  type BundleLayout,
} from "./bundle-dirs";
import { LockTimeoutError, withLock, type LockOptions } from "./lock";
import type { NpmOptions } from "./npm-options";

/** Where a bundle lives: a data dir (bundle at `<dataDir>/bundle`) or an explicit bundle dir. */
export type BundleLocation = { bundleDir: string } | { dataDir: string };

/** Options of {@link sync}. */
export type SyncOptions = BundleLocation & {
  /** The bundled manifest, or the path of a package.bundled.json. */
  manifest: BundledManifest | Record<string, unknown> | string;
  /** npm's flat options (see loadNpmConfig): registry, cache, auth, offline… */
  npmOptions?: NpmOptions;
  /** Skip every lifecycle script (preinstall, install, postinstall, prepare…). Default true. */
  ignoreScripts?: boolean;
  /** How long to wait for another sync or rollback of the same bundle. */
  lock?: LockOptions;
};

/** What a successful sync did. */
export interface SyncResult {
  /** The bundle's stable path (a link to `path`). */
  bundleDir: string;
  /** The new bundle's real dir, which never changes once in place. */
  path: string;
  /** The new bundle's package-lock.json. */
  lockfile: string;
  /** The bundle it replaced (now the rollback target), if there was one. */
  previous: string | undefined;
}

function layoutOf(location: BundleLocation): BundleLayout {
  return bundleLayout("bundleDir" in location ? location.bundleDir : defaultBundleDir(location.dataDir));
}

async function readManifest(manifest: SyncOptions["manifest"]): Promise<Record<string, unknown>> {
  if (typeof manifest !== "string") return manifest;
  try {
    return JSON.parse(await readFile(manifest, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw createError("COSMO_E_SYNC_FAILED", { reason: `cannot read ${manifest}: ${errorMessage(error)}` }, { cause: error });
  }
}

/** Runs `fn` under the layout's lock; a lock held too long becomes COSMO_E_SYNC_FAILED. */
async function locked<T>(layout: BundleLayout, options: LockOptions | undefined, fn: () => Promise<T>): Promise<T> {
  await ensureLayout(layout);
  try {
    return await withLock(layout.versions, layout.lock, fn, options);
  } catch (error) {
    if (error instanceof LockTimeoutError) {
      throw createError(
        "COSMO_E_SYNC_FAILED",
        { reason: `another sync or rollback of ${layout.current} is running (lock ${layout.lock})` },
        { cause: error },
      );
    }
    throw error;
  }
}

/** Installs the manifest into `staging` with Arborist; writes package.json and package-lock.json there. */
async function install(staging: string, manifest: Record<string, unknown>, options: SyncOptions, from: string | undefined): Promise<void> {
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  // Starting from the current lock keeps every version that still fits: a sync that adds one
  // plugin does not upgrade the others behind the user's back.
  if (from !== undefined) await copyFile(join(from, "package-lock.json"), join(staging, "package-lock.json")).catch(() => undefined);
  const ignoreScripts = options.ignoreScripts ?? true;
  const arb = new Arborist({
    ...(options.npmOptions as Arborist.Options),
    path: staging,
    ignoreScripts,
    // What a user's npm config may say that would make this not a plain install of the bundle.
    global: false,
    dryRun: false,
    packageLockOnly: false,
    // The lock is part of what a sync delivers (bug reports carry it), whatever the config says.
    packageLock: true,
    workspacesEnabled: false,
    // Host packages are `file:` links by design (see bundle.ts); install-links would copy them.
    installLinks: false,
    // The bundle is not a project anyone audits or funds from: skip the network round-trips.
    audit: false,
    fund: false,
  } as Arborist.Options);
  await arb.reify({ save: true });
  // reify saves the lock only when it changed the tree; an empty bundle still gets one.
  await readFile(join(staging, "package-lock.json")).catch(async () => {
    await writeFile(join(staging, "package-lock.json"), `${JSON.stringify(lockOf(manifest), null, 2)}\n`);
  });
}

function lockOf(manifest: Record<string, unknown>): Record<string, unknown> {
  return { name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages: { "": manifest } };
}

/**
 * Installs a bundled manifest as the new current bundle: Arborist reify into a staging dir
 * (scripts off unless `ignoreScripts: false`), then an atomic switch; the old bundle is kept as
 * the rollback target. Throws `COSMO_E_SYNC_FAILED` with the reason on any failure, after
 * removing the staging dir: the current bundle is left byte-for-byte as it was.
 * @example await sync({ dataDir, manifest: await createBundledManifest({ hostDir, sources }), npmOptions });
 */
export async function sync(options: SyncOptions): Promise<SyncResult> {
  const layout = layoutOf(options);
  const manifest = await readManifest(options.manifest);
  return locked(layout, options.lock, async () => {
    const current = await readBundleLink(layout.current);
    const id = newBundleId();
    const staging = join(layout.versions, `${id}.staging`);
    const path = join(layout.versions, id);
    try {
      await install(staging, manifest, options, current);
      await rename(staging, path);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      await rm(path, { recursive: true, force: true });
      if (isCosmoError(error)) throw error;
      const code = (error as { code?: unknown }).code;
      throw createError(
        "COSMO_E_SYNC_FAILED",
        { reason: errorMessage(error), ...(typeof code === "string" ? { npmCode: code } : {}) },
        { cause: error },
      );
    }
    // The switch: `previous` first, so a crash between the two renames leaves both links valid.
    if (current !== undefined) await pointLink(layout.previous, current);
    await pointLink(layout.current, path);
    // Anything older than the previous bundle is no longer reachable by a rollback.
    await collectGarbage(layout).catch(() => undefined);
    return { bundleDir: layout.current, path, lockfile: join(path, "package-lock.json"), previous: current };
  });
}

/** Options of {@link rollback}. */
export type RollbackOptions = BundleLocation & { lock?: LockOptions };

/**
 * Makes the previous bundle current again (and the current one previous, so a second rollback
 * undoes the first). Throws `COSMO_E_NO_BUNDLE` when there is no previous bundle.
 * @returns the real dir of the bundle now current
 */
export async function rollback(options: RollbackOptions): Promise<string> {
  const layout = layoutOf(options);
  return locked(layout, options.lock, async () => {
    const previous = await readBundleLink(layout.previous);
    if (previous === undefined) throw createError("COSMO_E_NO_BUNDLE", { which: "previous", dir: layout.versions });
    const current = await readBundleLink(layout.current);
    await pointLink(layout.current, previous);
    if (current !== undefined) await pointLink(layout.previous, current);
    return previous;
  });
}
