/**
 * A throwaway host app for tests: a temp dir with a package.json depending on `@cosmo/core` and
 * whatever the test asks for (default `shared-lib@^1`), installed for real from the test registry
 * with Arborist (no scripts). `@cosmo/core` is the workspace copy, symlinked into node_modules as
 * npm links a workspace: it is never fetched from a registry.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Arborist from "@npmcli/arborist";

/** The workspace's @cosmo/core, what every test host links to. */
export const coreDir = resolve(dirname(fileURLToPath(import.meta.url)), "../../../core");

/** Options of {@link createTestHost}. */
export interface TestHostOptions {
  /** The test registry's URL (`inject("registryUrl")`). */
  registry: string;
  /** Dependencies besides @cosmo/core, from the test registry. Default `{ "shared-lib": "^1.0.0" }`. */
  dependencies?: Record<string, string>;
  /** The host's `cosmo.shared` (packages plugins must share with it). */
  shared?: string[];
  /** Name of the host package. Default `test-host`. */
  name?: string;
}

/** A host on disk and the npm options that reach the test registry. */
export interface TestHost {
  dir: string;
  /** Flat npm options for Arborist/pacote: the test registry, a cache of this host's own. */
  npmOptions: { registry: string; cache: string };
  /** Removes the host and its cache. */
  cleanup(): Promise<void>;
}

/**
 * Creates and installs a test host.
 * @example const host = await createTestHost({ registry: inject("registryUrl") });
 */
export async function createTestHost(options: TestHostOptions): Promise<TestHost> {
  const root = await mkdtemp(join(tmpdir(), "cosmo-host-"));
  const dir = join(root, "host");
  await mkdir(dir);
  const npmOptions = { registry: options.registry, cache: join(root, "cache") };
  const dependencies = options.dependencies ?? { "shared-lib": "^1.0.0" };
  const pkg: Record<string, unknown> = { name: options.name ?? "test-host", version: "1.0.0", private: true, type: "module" };
  if (options.shared !== undefined) pkg.cosmo = { shared: options.shared };

  // Install the registry dependencies first: with @cosmo/core in package.json Arborist would try
  // to fetch it, and it is not (and must not be) in any registry the tests reach.
  await writeFile(join(dir, "package.json"), JSON.stringify({ ...pkg, dependencies }, null, 2));
  await new Arborist({ ...npmOptions, path: dir, ignoreScripts: true, audit: false, fund: false } as Arborist.Options).reify();

  await mkdir(join(dir, "node_modules", "@cosmo"), { recursive: true });
  await symlink(coreDir, join(dir, "node_modules", "@cosmo", "core"), "dir");
  const coreVersion = (JSON.parse(await readFile(join(coreDir, "package.json"), "utf8")) as { version: string }).version;
  await writeFile(
    join(dir, "package.json"),
    `${JSON.stringify({ ...pkg, dependencies: { "@cosmo/core": `^${coreVersion}`, ...dependencies } }, null, 2)}\n`,
  );
  return { dir, npmOptions, cleanup: () => rm(root, { recursive: true, force: true }) };
}
