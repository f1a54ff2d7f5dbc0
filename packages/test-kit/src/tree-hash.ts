/**
 * A fingerprint of a directory tree: every file's bytes, every symlink's target, every dir's
 * name, keyed by relative path. Two equal fingerprints mean a byte-identical tree.
 */
import { createHash } from "node:crypto";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join, relative } from "node:path";

/** Maps each path under `root` to a hash of its content (files), target (links) or "dir". */
export async function hashTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(dir: string): Promise<void> {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const rel = relative(root, path);
      const stats = await lstat(path);
      if (stats.isSymbolicLink()) out[rel] = `link:${await readlink(path)}`;
      else if (stats.isDirectory()) {
        out[rel] = "dir";
        await walk(path);
      } else out[rel] = `file:${createHash("sha256").update(await readFile(path)).digest("hex")}:${stats.mode.toString(8)}`;
    }
  }
  await walk(root);
  return out;
}

/** Every path under `root` whose name matches `pattern` (links are not followed). */
export async function findFiles(root: string, pattern: RegExp): Promise<string[]> {
  return Object.keys(await hashTree(root)).filter((rel) => pattern.test(rel.split("/").at(-1) ?? ""));
}
