/**
 * The start of an incremental sync: a copy of the current bundle's node_modules whose package
 * files are hardlinks to the current bundle's (or reflink/real copies, see `files`), so Arborist
 * then reifies only the difference into it instead of extracting every package again.
 *
 * Why hardlinks are safe here: the current bundle never changes once in place (bundle-dirs.ts),
 * and Arborist never writes into an existing package file of the tree it reifies. A package it
 * changes or removes is first renamed away whole and a fresh dir extracted in its place, so a
 * shared inode only ever loses a link; bins are linked (and chmodded) for added or changed
 * packages only, which are fresh files. What Arborist does rewrite in place is outside package
 * dirs: `node_modules/.package-lock.json` (and the root package.json / package-lock.json, which
 * sync writes itself): those are real copies, never links.
 *
 * Lifecycle scripts are the exception: a script may patch a dependency's file in place, which
 * through a hardlink would change the bundle still serving. Sync asks for `files: "clone"`
 * whenever scripts may run: reflinks where the filesystem has them, full copies elsewhere.
 */
import { constants } from "node:fs";
import { copyFile, link, mkdir, readdir, readlink, symlink } from "node:fs/promises";
import { join } from "node:path";

/** How package files reach the copy. */
export type CopyFiles = "link" | "clone";

/** The hidden lockfile Arborist reads instead of walking node_modules, when it is the newest entry. */
const HIDDEN_LOCKFILE = ".package-lock.json";

/** At most this many file-system calls in flight: enough to keep the disk busy, few enough fds. */
const CONCURRENCY = 64;

function limiter(max: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (fn) => {
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/**
 * Copies `<from>/node_modules` to `<to>/node_modules` (`to` must exist): dirs made anew, symlinks
 * recreated with the same (relative) target, package files hardlinked (`"link"`) or cloned
 * (`"clone"`). The hidden lockfile is copied last so it is newer than every dir, which is what
 * lets Arborist trust it. Returns false, having made nothing, when `from` has no node_modules.
 */
export async function copyBundleTree(from: string, to: string, files: CopyFiles): Promise<boolean> {
  const source = join(from, "node_modules");
  let top;
  try {
    top = await readdir(source, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
  const run = limiter(CONCURRENCY);
  const placeFile =
    files === "link"
      ? (src: string, dest: string) => link(src, dest)
      : (src: string, dest: string) => copyFile(src, dest, constants.COPYFILE_FICLONE);

  async function copyDir(src: string, dest: string, entries?: import("node:fs").Dirent[]): Promise<void> {
    await run(() => mkdir(dest));
    const list = entries ?? (await run(() => readdir(src, { withFileTypes: true })));
    await Promise.all(
      list.map(async (entry) => {
        const s = join(src, entry.name);
        const d = join(dest, entry.name);
        if (entry.isDirectory()) return copyDir(s, d);
        if (entry.isSymbolicLink()) {
          const target = await run(() => readlink(s));
          return run(() => symlink(target, d));
        }
        if (entry.isFile()) return run(() => placeFile(s, d));
        // Sockets, fifos and devices have no place in a package; leave them out.
      }),
    );
  }

  // Top level: the hidden lockfile waits until the end; other dot entries (Arborist's retired
  // `.name-xxxx` dirs of a crashed reify) are not part of the tree.
  const packages = top.filter((entry) => entry.name === ".bin" || !entry.name.startsWith("."));
  await mkdir(join(to, "node_modules"));
  await Promise.all(packages.map((entry) => {
    const s = join(source, entry.name);
    const d = join(to, "node_modules", entry.name);
    if (entry.isDirectory()) return copyDir(s, d);
    if (entry.isSymbolicLink()) return run(async () => symlink(await readlink(s), d));
    return undefined;
  }));
  if (top.some((entry) => entry.name === HIDDEN_LOCKFILE && entry.isFile())) {
    // A real copy: Arborist rewrites this file in place after the reify.
    await copyFile(join(source, HIDDEN_LOCKFILE), join(to, "node_modules", HIDDEN_LOCKFILE));
  }
  return true;
}
