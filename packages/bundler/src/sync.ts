/**
 * Sync: install a bundled manifest into a new bundle dir with Arborist, then make it the current
 * bundle in one atomic step (layout and why: bundle-dirs.ts). Lifecycle scripts are off by
 * default, the package-lock.json is kept beside node_modules (it goes into bug reports), and a
 * failure at any point leaves the current bundle exactly as it was.
 */
import { copyFile, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import type Arborist from "@npmcli/arborist";
import { createError, errorMessage, isCosmoError } from "@cosmo/core";
import type { BundledManifest } from "./bundle";
import { copyBundleTree } from "./bundle-copy";
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
import { findIntegrityFailure, integrityError } from "./integrity";
import { LockTimeoutError, withLock, type LockOptions } from "./lock";
import { loadArborist } from "./npm-libs";
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
  /**
   * Install exactly this package-lock.json (object or path) instead of starting from the
   * current bundle's: what a runner following another runner's generation does.
   */
  lockfile?: Record<string, unknown> | string;
  /**
   * Start the new bundle as a copy of the current one (hardlinks; reflinks or copies when scripts
   * may run) and reify only the difference into it. Default true; false installs every package
   * afresh into an empty dir.
   */
  incremental?: boolean;
  /** Make a new bundle even when the current one already holds this manifest (and lockfile). */
  force?: boolean;
  /**
   * Asked under the sync's lock once the new bundle is installed, before it becomes current:
   * may write into it (a marker naming what it holds, so no reader ever finds it current
   * without one) and answers whether it may replace `current`. False keeps the current bundle
   * (the new one is removed; the result says `superseded`): what keeps the link from stepping
   * back when two writers race (an older generation finishing after a newer one). A throw
   * fails the sync as any install failure does.
   */
  admit?: (staged: string, current: string | undefined) => Promise<boolean>;
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
  /**
   * False when the current bundle already held this manifest (and lockfile): nothing was
   * installed, `path` is the current bundle and `previous` its rollback target as before.
   */
  changed: boolean;
  /**
   * True when `admit` refused the new bundle: the current one stays (`path`, `changed: false`),
   * and `path` holds what somebody else installed, not this manifest.
   */
  superseded?: boolean;
}

function layoutOf(location: BundleLocation): BundleLayout {
  return bundleLayout("bundleDir" in location ? location.bundleDir : defaultBundleDir(location.dataDir));
}

async function readJsonInput(manifest: SyncOptions["manifest"] | Record<string, unknown>): Promise<Record<string, unknown>> {
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

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as unknown;
  } catch {
    return undefined;
  }
}

// A packed directory plugin's tarball is named by its content hash (source.ts): same name, same
// bytes. Any other local tarball may have been rewritten in place under the same name.
const CONTENT_ADDRESSED = /-[0-9a-f]{12}\.tgz$/;

function mayChangeUnderSameSpec(manifest: Record<string, unknown>): boolean {
  const deps = (manifest.dependencies ?? {}) as Record<string, string>;
  return Object.values(deps).some((spec) => {
    if (typeof spec !== "string" || !spec.startsWith("file:")) return false;
    const path = spec.slice("file:".length);
    return /\.(tgz|tar|tar\.gz)$/.test(path) && !CONTENT_ADDRESSED.test(basename(path));
  });
}

/**
 * True when `current` already is what a sync of `manifest` (and `lockfile`) would make: same
 * package.json, same lock when one is imposed, and no local tarball whose bytes could differ
 * under the same name.
 */
async function holdsAlready(current: string, manifest: Record<string, unknown>, lockfile: Record<string, unknown> | undefined): Promise<boolean> {
  if (mayChangeUnderSameSpec(manifest)) return false;
  if (!isDeepStrictEqual(await readJson(join(current, "package.json")), manifest)) return false;
  if (lockfile !== undefined && !isDeepStrictEqual(await readJson(join(current, "package-lock.json")), lockfile)) return false;
  return true;
}

/**
 * Lays out `staging` for the reify: package.json, the lock to start from (imposed, else the
 * current bundle's) and, when incremental, the current bundle's node_modules as hardlinks
 * (bundle-copy.ts says why that is safe, and when it clones instead).
 */
async function prepare(
  staging: string,
  manifest: Record<string, unknown>,
  lockfile: Record<string, unknown> | undefined,
  options: SyncOptions,
  from: string | undefined,
): Promise<void> {
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  if (lockfile !== undefined) {
    await writeFile(join(staging, "package-lock.json"), `${JSON.stringify(lockfile, null, 2)}\n`);
  } else if (from !== undefined) {
    // Starting from the current lock keeps every version that still fits: a sync that adds one
    // plugin does not upgrade the others behind the user's back.
    await copyFile(join(from, "package-lock.json"), join(staging, "package-lock.json")).catch(() => undefined);
  }
  if (from !== undefined && (options.incremental ?? true)) {
    await copyBundleTree(from, staging, (options.ignoreScripts ?? true) ? "link" : "clone");
  }
}

/** Reifies `staging` with Arborist: installs what its package.json and lock say, writes the lock. */
async function install(staging: string, manifest: Record<string, unknown>, options: SyncOptions): Promise<void> {
  const ignoreScripts = options.ignoreScripts ?? true;
  const Arborist = await loadArborist();
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
    // The bundle is no workspace root (bundle.ts drops `workspaces`). Enabled with none named is
    // what npm does by default, and it matters: with workspaces disabled Arborist diffs only what
    // the root still depends on, so a plugin removed from package.json would stay in an
    // incrementally synced node_modules.
    workspacesEnabled: true,
    workspaces: [],
    // The bundle's lock must say where each package came from, whatever the user's .npmrc says
    // (omit-lockfile-registry-resolved): other runners install exactly this lock.
    omitLockfileRegistryResolved: false,
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

// Fetch failures worth a second attempt with the user's retry settings (make-fetch-happen's and
// @npmcli/agent's codes for a connection or a server that failed, not a package that is wrong).
const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EADDRINUSE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "EPIPE",
  "ECONNECTIONTIMEOUT",
  "EIDLETIMEOUT",
  "ERESPONSETIMEOUT",
  "ETRANSFERTIMEOUT",
]);

function isNetworkFailure(error: unknown): boolean {
  const e = (error ?? {}) as { code?: unknown; statusCode?: unknown; status?: unknown };
  const status = Number(e.statusCode ?? e.status);
  return (typeof e.code === "string" && NETWORK_CODES.has(e.code)) || (Number.isFinite(status) && (status >= 500 || status === 408 || status === 429));
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
  const manifest = await readJsonInput(options.manifest);
  const lockfile = options.lockfile === undefined ? undefined : await readJsonInput(options.lockfile);
  return locked(layout, options.lock, async () => {
    const current = await readBundleLink(layout.current);
    if (current !== undefined && options.force !== true && (await holdsAlready(current, manifest, lockfile))) {
      const previous = await readBundleLink(layout.previous);
      return { bundleDir: layout.current, path: current, lockfile: join(current, "package-lock.json"), previous, changed: false };
    }
    const id = newBundleId();
    const staging = join(layout.versions, `${id}.staging`);
    const path = join(layout.versions, id);
    const attempt = async (opts: SyncOptions): Promise<void> => {
      await prepare(staging, manifest, lockfile, opts, current);
      try {
        await install(staging, manifest, opts);
      } catch (error) {
        // A lock carried over that Arborist cannot use (written under another npm config, cut
        // short) must not fail every later sync: install afresh, resolving without it. An
        // imposed lock is what the caller wants installed, so its failure is the answer; so is
        // a tarball that does not match its integrity.
        if (lockfile !== undefined || current === undefined || findIntegrityFailure(error) !== undefined) throw error;
        await rm(staging, { recursive: true, force: true });
        await prepare(staging, manifest, undefined, opts, undefined);
        await install(staging, manifest, opts);
      }
    };
    try {
      try {
        // First without npm's fetch retries: make-fetch-happen retries every failed fetch, an
        // integrity mismatch included, with npm's backoff (10 s, then 60 s, by default), so a
        // tampered tarball took minutes to be refused. Only a network failure gets the user's
        // retry settings, in a second attempt (what the first fetched is in the cache by then).
        await attempt({ ...options, npmOptions: { ...options.npmOptions, retry: { retries: 0 } } });
      } catch (first) {
        if (!isNetworkFailure(first)) throw first;
        await rm(staging, { recursive: true, force: true });
        await attempt(options);
      }
      await rename(staging, path);
      // With no current bundle there is nothing to keep: the new one becomes current whatever the answer.
      if (options.admit && !(await options.admit(path, current)) && current !== undefined) {
        await rm(path, { recursive: true, force: true });
        const previous = await readBundleLink(layout.previous);
        return { bundleDir: layout.current, path: current, lockfile: join(current, "package-lock.json"), previous, changed: false, superseded: true };
      }
    } catch (error) {
      // Read before staging goes: its lockfile (the current one, copied) names what was pinned.
      const tampered = await integrityError(error, { lockfileDir: staging });
      await rm(staging, { recursive: true, force: true });
      await rm(path, { recursive: true, force: true });
      if (tampered !== undefined) throw tampered;
      if (isCosmoError(error)) throw error;
      const code = (error as { code?: unknown }).code;
      throw createError(
        "COSMO_E_SYNC_FAILED",
        { reason: errorMessage(error), ...(typeof code === "string" ? { npmCode: code } : {}) },
        { cause: error },
      );
    }
    await switchTo(layout, path);
    // Anything older than the previous bundle is no longer reachable by a rollback.
    await collectGarbage(layout).catch(() => undefined);
    return { bundleDir: layout.current, path, lockfile: join(path, "package-lock.json"), previous: current, changed: true };
  });
}

/** Makes `path` current; the current bundle becomes previous. Call only holding the layout's lock. */
async function switchTo(layout: BundleLayout, path: string): Promise<void> {
  const current = await readBundleLink(layout.current);
  // `previous` first, so a crash between the two renames leaves both links valid.
  if (current !== undefined) await pointLink(layout.previous, current);
  await pointLink(layout.current, path);
}

/** Options of {@link activateBundle}. */
export type ActivateBundleOptions = BundleLocation & {
  /** A bundle dir under the layout's `versions/`, its node_modules already in place. */
  path: string;
  lock?: LockOptions;
};

/**
 * Makes a bundle laid out by other means current, the way a sync ends: under the layout's lock,
 * the current bundle becomes previous (the rollback target), then the switch.
 * @example await activateBundle({ dataDir, path: join(bundleLayout(defaultBundleDir(dataDir)).versions, "b1") });
 */
export async function activateBundle(options: ActivateBundleOptions): Promise<void> {
  const layout = layoutOf(options);
  await locked(layout, options.lock, () => switchTo(layout, options.path));
}

/** Options of {@link rollback}. */
export type RollbackOptions = BundleLocation & {
  lock?: LockOptions;
  /**
   * Roll back only while this bundle (a real dir) is still the current one, checked under the
   * lock: a sync that made another bundle current meanwhile is left alone (the answer is then
   * undefined). What undoing one failed bundle needs; a check before the call would race that sync.
   */
  ifCurrent?: string;
};

/**
 * Makes the previous bundle current again (and the current one previous, so a second rollback
 * undoes the first). Throws `COSMO_E_NO_BUNDLE` when there is no previous bundle.
 * @returns the real dir of the bundle now current (undefined: `ifCurrent` was not current, nothing changed)
 */
export async function rollback(options: RollbackOptions & { ifCurrent: string }): Promise<string | undefined>;
export async function rollback(options: RollbackOptions): Promise<string>;
export async function rollback(options: RollbackOptions): Promise<string | undefined> {
  const layout = layoutOf(options);
  return locked(layout, options.lock, async () => {
    if (options.ifCurrent !== undefined && (await readBundleLink(layout.current)) !== options.ifCurrent) return undefined;
    const previous = await readBundleLink(layout.previous);
    if (previous === undefined) throw createError("COSMO_E_NO_BUNDLE", { which: "previous", dir: layout.versions });
    const current = await readBundleLink(layout.current);
    await pointLink(layout.current, previous);
    if (current !== undefined) await pointLink(layout.previous, current);
    return previous;
  });
}
