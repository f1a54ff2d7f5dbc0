import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { defineDriver } from "unstorage";

/** Options of the atomic file driver. */
export interface FsAtomicOptions {
  /** Directory holding one file per key (`a:b` is `<base>/a/b`). */
  base: string;
}

// Temp files start with a dot and are skipped by getKeys, so a crash mid-write leaves no key.
const isHidden = (name: string) => name.startsWith(".");

/**
 * An unstorage driver that writes each value to a temp file and renames it over the key's file.
 * unstorage's own fs driver writes in place, so a crash or a concurrent reader can see half a
 * record; rename(2) within one directory is atomic, so readers see the old value or the new one.
 *
 * Why not write-file-atomic, as runner.json and the bundler's files use: it names its temp file
 * `<file>.<number>` beside the file, and here every file is a key, so a listing during a write
 * (or after a kill mid-write) would show the temp as a key a plugin could have chosen itself.
 * Our temps are dot-files, which no key can be, so getKeys can skip and sweep them.
 */
export const fsAtomicDriver = defineDriver((opts: FsAtomicOptions) => {
  const base = resolve(opts.base);

  function pathOf(key: string): string {
    const segments = key.split(":").filter(Boolean);
    // normalizeKey already drops most of these, but a path outside base must be impossible.
    if (segments.length === 0 || segments.some((s) => s === "." || s === ".." || s.includes(sep) || isHidden(s))) {
      throw new Error(`fs-atomic: invalid key "${key}"`);
    }
    return join(base, ...segments);
  }

  // A temp file older than this was left by a process killed mid-write: no writer takes this
  // long, so removing it cannot break a write in flight.
  const ABANDONED_MS = 60_000;
  async function sweep(temp: string): Promise<void> {
    try {
      if (Date.now() - (await stat(temp)).mtimeMs > ABANDONED_MS) await unlink(temp);
    } catch {
      // gone already, or not ours to remove
    }
  }

  async function walk(dir: string, prefix: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    for (const entry of entries) {
      if (isHidden(entry.name)) {
        if (entry.isFile() && entry.name.endsWith(".tmp")) await sweep(join(dir, entry.name));
        continue;
      }
      const key = prefix ? `${prefix}:${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(join(dir, entry.name), key, out);
      else if (entry.isFile()) out.push(key);
    }
  }

  return {
    name: "fs-atomic",
    options: opts,
    async hasItem(key) {
      return stat(pathOf(key)).then(
        (s) => s.isFile(),
        () => false,
      );
    },
    async getItem(key) {
      try {
        return await readFile(pathOf(key), "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw error;
      }
    },
    async setItem(key, value) {
      const target = pathOf(key);
      await mkdir(dirname(target), { recursive: true });
      const temp = join(dirname(target), `.${randomBytes(6).toString("hex")}.tmp`);
      const handle = await open(temp, "wx", 0o600);
      try {
        await handle.writeFile(value, "utf8");
        // Flush before the rename: otherwise a power cut can leave the new name on empty data.
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        await rename(temp, target);
      } catch (error) {
        await unlink(temp).catch(() => {});
        throw error;
      }
    },
    async removeItem(key) {
      await rm(pathOf(key), { force: true });
    },
    async getKeys(keyBase) {
      const prefix = keyBase.split(":").filter(Boolean).join(":");
      const keys: string[] = [];
      await walk(prefix ? pathOf(prefix) : base, prefix, keys);
      return keys;
    },
    async clear(keyBase) {
      const prefix = keyBase.split(":").filter(Boolean).join(":");
      if (prefix) await rm(pathOf(prefix), { recursive: true, force: true });
      else for (const name of await readdir(base).catch(() => [])) await rm(join(base, name), { recursive: true, force: true });
    },
  };
});
