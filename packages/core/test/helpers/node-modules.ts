/**
 * Builds a throwaway node_modules out of the named fixture plugins, so tests see them the way a
 * host does after an install. Fixtures live in the repo under plain names (never a committed
 * `node_modules`), and each is placed at `node_modules/<its package.json name>`.
 */
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Where the fixture plugin packages live, one folder per case. */
export const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/plugins/", import.meta.url));

/** Options of `makeNodeModules`. */
export interface MakeNodeModulesOptions {
  /** Cases to copy in as real directories instead of symlinking them (the default). */
  copy?: readonly string[];
  /** Folder holding the cases; defaults to `test/fixtures/plugins`. */
  fixturesDir?: string;
}

/** A temp node_modules and the function that removes it. */
export interface TempNodeModules {
  /** Absolute path of the `node_modules` directory inside a fresh temp dir. */
  root: string;
  /** Removes the temp dir (fixtures are only linked, so they are never touched). */
  cleanup(): Promise<void>;
}

// A fixture whose package.json is broken on purpose still needs a place: fall back to its folder name.
async function packageNameOf(dir: string, fallback: string): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as { name?: unknown };
    return typeof pkg.name === "string" && pkg.name !== "" ? pkg.name : fallback;
  } catch {
    return fallback;
  }
}

/**
 * Places each fixture case at `node_modules/<package name>` in a new temp dir, as a symlink to the
 * fixture folder (or a copy, for cases named in `opts.copy`).
 * @example const nm = await makeNodeModules(["valid-esm", "scoped"]); try { ... } finally { await nm.cleanup() }
 */
export async function makeNodeModules(cases: readonly string[], opts: MakeNodeModulesOptions = {}): Promise<TempNodeModules> {
  const fixturesDir = opts.fixturesDir ?? FIXTURES_DIR;
  const copy = new Set(opts.copy ?? []);
  const base = await mkdtemp(join(tmpdir(), "cosmo-nm-"));
  const root = join(base, "node_modules");
  const cleanup = () => rm(base, { recursive: true, force: true });
  try {
    await mkdir(root);
    await Promise.all(
      cases.map(async (name) => {
        const source = join(fixturesDir, name);
        const target = join(root, await packageNameOf(source, name));
        await mkdir(dirname(target), { recursive: true });
        if (copy.has(name)) await cp(source, target, { recursive: true });
        // "junction" is ignored off Windows and needs no admin rights on it.
        else await symlink(source, target, "junction");
      }),
    );
  } catch (error) {
    await cleanup();
    throw error;
  }
  return { root, cleanup };
}
