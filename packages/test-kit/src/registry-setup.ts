/**
 * vitest globalSetup: one test registry per vitest run, its URL given to tests as
 * `inject("registryUrl")`.
 *
 * Any test project may list `@cosmo/test-kit/registry-setup` in its `globalSetup`. vitest runs
 * each project's globalSetup in the one main process, so the instance is kept on `globalThis` with a count of users: the first project starts it, the last teardown
 * stops it, and a run of several projects shares one registry. We chose per-project
 * globalSetup over a root-level one because vitest 4 always runs the root config's
 * globalSetup, so `--project core` would start a registry it never uses; sharing comes from the
 * process-wide instance instead.
 */
import type {} from "vitest";
import type { TestProject } from "vitest/node";
import { fixturesDir } from "./fixtures";
import { startTestRegistry, type TestRegistry } from "./registry";

declare module "vitest" {
  interface ProvidedContext {
    /** Base URL (trailing slash) of the run's test registry, holding every fixture package. */
    registryUrl: string;
    /** verdaccio's storage dir, for tests that break a package on purpose. */
    registryStorageDir: string;
  }
}

interface Shared {
  registry: Promise<TestRegistry>;
  users: number;
}

const KEY = Symbol.for("cosmo.test-registry");
const slot = globalThis as unknown as Record<symbol, Shared | undefined>;

/** Starts (or joins) the run's registry and provides its URL to the project's tests. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let shared = slot[KEY];
  if (shared === undefined) {
    const started = performance.now();
    const registry = startTestRegistry({ fixturesDir }).then((r) => {
      if (process.env.COSMO_TEST_REGISTRY_TIMING) {
        console.log(`test registry: ${r.published.length} packages in ${Math.round(performance.now() - started)} ms`);
      }
      return r;
    });
    shared = { registry, users: 0 };
    slot[KEY] = shared;
  }
  shared.users += 1;
  const registry = await shared.registry;
  project.provide("registryUrl", registry.url);
  project.provide("registryStorageDir", registry.storageDir);

  return async () => {
    const current = slot[KEY];
    if (current === undefined) return;
    current.users -= 1;
    if (current.users > 0) return;
    slot[KEY] = undefined;
    await (await current.registry).close();
  };
}
