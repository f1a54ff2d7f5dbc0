/**
 * Where bundles live on disk, and the atomic swap between them.
 *
 *   <dataDir>/bundle                 symlink -> bundle.versions/<id>  (the current bundle)
 *   <dataDir>/bundle.previous        symlink -> bundle.versions/<id>  (what rollback restores)
 *   <dataDir>/bundle.versions/<id>/  one complete bundle: package.json, package-lock.json, node_modules
 *   <dataDir>/bundle.versions/<id>.staging/   a sync in progress (renamed to <id> when done)
 *   <dataDir>/bundle.lock            held while a sync or rollback changes any of the above
 *   <dataDir>/bundle.trash/          bundles no link points at any more, being removed
 *
 * Why symlinks to immutable dirs rather than renaming `bundle` itself:
 * - One rename(2) of a fresh symlink over `bundle` switches bundles atomically; renaming dirs
 *   takes two renames (current -> previous, staging -> current) with no bundle in between.
 * - A bundle dir never changes once in place. Node resolves modules to their realpath, so a worker
 *   still running from the old bundle (draining during a reload) keeps loading the old files, never
 *   a mix of old and new.
 * - Staging sits in `bundle.versions/`, beside the bundles, so the staging -> <id> rename is on one
 *   filesystem; and at the same depth, so Arborist's relative links stay valid after it.
 */
import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, readlink, rename, rm, symlink } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { createError } from "@cosmo/core";

/** The paths of one bundle location (see the module comment). */
export interface BundleLayout {
  /** The current bundle's stable path: a symlink to the bundle in use. */
  current: string;
  /** Symlink to the bundle before the current one. */
  previous: string;
  /** Holds every bundle dir and the staging dirs. */
  versions: string;
  /** Lock dir serialising syncs and rollbacks. */
  lock: string;
  /** Where unreachable bundles wait to be removed (see collectGarbage). */
  trash: string;
}

/** The bundle dir Cosmo uses under a data dir. */
export function defaultBundleDir(dataDir: string): string {
  return join(dataDir, "bundle");
}

/** The layout around a bundle dir (`<dataDir>/bundle` by default). */
export function bundleLayout(bundleDir: string): BundleLayout {
  const current = resolve(bundleDir);
  return { current, previous: `${current}.previous`, versions: `${current}.versions`, lock: `${current}.lock`, trash: `${current}.trash` };
}

/** A new bundle id: sortable by creation time, unique across processes. */
export function newBundleId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}

/** The bundle dir a link points at, or undefined when the link does not exist. */
export async function readBundleLink(link: string): Promise<string | undefined> {
  let stats;
  try {
    stats = await lstat(link);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  if (!stats.isSymbolicLink()) {
    throw createError("COSMO_E_SYNC_FAILED", {
      reason: `${link} is a ${stats.isDirectory() ? "directory" : "file"}, not the link Cosmo keeps there; move it away and sync again`,
    });
  }
  return resolve(dirname(link), await readlink(link));
}

/**
 * Points `link` at `target` atomically: a temp symlink renamed over it, so a reader sees the old
 * target or the new one, never no link. The link is relative, so the data dir can move.
 */
export async function pointLink(link: string, target: string): Promise<void> {
  const temp = `${link}.${randomBytes(4).toString("hex")}.tmp`;
  // Windows junctions (directory links that need no admin rights) only take absolute targets.
  const linkTarget = process.platform === "win32" ? target : relative(dirname(link), target);
  await symlink(linkTarget, temp, "junction");
  try {
    await rename(temp, link);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** The current bundle's real dir under a data dir. Throws `COSMO_E_NO_BUNDLE` when there is none. */
export async function currentBundle(dataDir: string, options: { bundleDir?: string } = {}): Promise<string> {
  const layout = bundleLayout(options.bundleDir ?? defaultBundleDir(dataDir));
  const target = await readBundleLink(layout.current);
  if (target === undefined) throw createError("COSMO_E_NO_BUNDLE", { which: "current", dir: dirname(layout.current) });
  return target;
}

/**
 * Removes what no link points at: bundles older than the previous one, and staging dirs that a
 * crashed sync left. Call only while holding the layout's lock. Each is renamed into the trash
 * dir at once (one rename: sync need not wait for hundreds of unlinks) and removed from there in
 * the background; whatever a process leaves there when it exits goes at its next call.
 */
export async function collectGarbage(layout: BundleLayout): Promise<void> {
  const keep = new Set([await readBundleLink(layout.current), await readBundleLink(layout.previous)]);
  let entries: string[];
  try {
    entries = await readdir(layout.versions);
  } catch {
    return;
  }
  const unreachable = entries.map((name) => join(layout.versions, name)).filter((dir) => !keep.has(dir));
  if (unreachable.length > 0) await mkdir(layout.trash, { recursive: true });
  await Promise.all(
    unreachable.map((dir) =>
      rename(dir, join(layout.trash, `${basename(dir)}-${randomBytes(3).toString("hex")}`)).catch(() => rm(dir, { recursive: true, force: true })),
    ),
  );
  void emptyTrash(layout.trash);
}

/** Removes everything in the trash dir; failures wait for the next call. */
async function emptyTrash(trash: string): Promise<void> {
  const names = await readdir(trash).catch(() => [] as string[]);
  await Promise.all(names.map((name) => rm(join(trash, name), { recursive: true, force: true }).catch(() => undefined)));
}

/** Creates the versions dir; the links' parent must exist for the lock too. */
export async function ensureLayout(layout: BundleLayout): Promise<void> {
  await mkdir(layout.versions, { recursive: true });
}
