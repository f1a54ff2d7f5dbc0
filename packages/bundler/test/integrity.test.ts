import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Arborist from "@npmcli/arborist";
import { isCosmoError } from "@cosmo/core";
import pacote from "pacote";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createBundledManifest } from "../src/bundle";
import { createChecker } from "../src/check";
import { sync } from "../src/sync";
import { createTestHost, type TestHost } from "./helpers/host";
import { publishDirectory, hashTree } from "@cosmo/test-kit";

const rejection = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

/**
 * A tarball changed in the registry's storage after it was pinned: the lockfile's integrity no
 * longer matches what is served. The package is this file's own (published here), since the
 * tests of one run share one registry and this one breaks it on purpose.
 */
describe("integrity: a tampered tarball is refused by name", () => {
  const registry = inject("registryUrl");
  const storageDir = inject("registryStorageDir");
  const name = `tamper-plugin-${process.pid}-${Date.now()}`;
  let src: string;
  let host: TestHost;
  let dataDir: string;
  let pinned: string;
  // Caches of their own, outside the host: a refused fetch may still be closing cache files
  // when the test ends, so they are removed with retries.
  let caches: string;

  const writePlugin = async (body: string) => {
    await writeFile(join(src, "package.json"), JSON.stringify({ name, version: "1.0.0", type: "module", main: "index.js" }));
    await writeFile(join(src, "cosmo.json"), JSON.stringify({ name, version: "1.0.0", plugin_class: "./index.js:Tamper" }));
    await writeFile(join(src, "index.js"), body);
  };

  beforeAll(async () => {
    src = await mkdtemp(join(tmpdir(), "cosmo-tamper-src-"));
    caches = await mkdtemp(join(tmpdir(), "cosmo-tamper-caches-"));
    await writePlugin("export class Tamper { setup() {} }\n");
    await publishDirectory(registry, src);
    host = await createTestHost({ registry });
    dataDir = join(host.dir, "..", "data");
    const manifest = await createBundledManifest({ hostDir: host.dir, sources: [name] });
    const { lockfile } = await sync({ dataDir, manifest, npmOptions: host.npmOptions });
    pinned = (JSON.parse(await readFile(lockfile, "utf8")) as { packages: Record<string, { integrity: string }> }).packages[`node_modules/${name}`]!.integrity;
    // Same name and version, other bytes: what a compromised registry or mirror would serve.
    await writePlugin("export class Tamper { setup() { /* changed */ } }\n");
    const evil = await pacote.tarball(`file:${src}`, { Arborist, ignoreScripts: true, cache: join(caches, "pack-cache") });
    await writeFile(join(storageDir, name, `${name}-1.0.0.tgz`), evil);
  });
  afterAll(async () => {
    await Promise.all([
      host.cleanup(),
      rm(src, { recursive: true, force: true }),
      rm(caches, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }),
    ]);
  });

  it("refuses to sync it from the pinned lockfile with COSMO_E_INTEGRITY naming the package and both integrities; the bundle stays as it was", async () => {
    // Another data dir installing the same pinned set (a second runner, an imported bundle),
    // with a cache of its own: the good bytes the first sync cached would hide the change.
    const other = join(host.dir, "..", "other-data");
    const manifest = await createBundledManifest({ hostDir: host.dir, sources: ["plugin-ok@^1"] });
    await sync({ dataDir: other, manifest, npmOptions: { ...host.npmOptions, cache: join(caches, "other-cache") } });
    const before = await hashTree(other);
    const lockfile = join(dataDir, "bundle", "package-lock.json");
    const pinnedManifest = JSON.parse(await readFile(join(dataDir, "bundle", "package.json"), "utf8")) as Record<string, unknown>;
    const startedAt = performance.now();
    // npm's own retry settings (its defaults: 2 retries, 10 s then up to 60 s apart), which
    // make-fetch-happen applies to an integrity mismatch too: the refusal must not wait them out.
    const npmRetries = { fetchRetries: 2, fetchRetryFactor: 10, fetchRetryMintimeout: 10_000, fetchRetryMaxtimeout: 60_000 };
    const error = await rejection(
      sync({ dataDir: other, manifest: pinnedManifest, lockfile, npmOptions: { ...host.npmOptions, ...npmRetries, cache: join(caches, "other-cache") } }),
    );
    console.log(`tampered tarball refused by sync in ${Math.round(performance.now() - startedAt)} ms`);
    expect(isCosmoError(error) && error.code).toBe("COSMO_E_INTEGRITY");
    const details = (error as { details: Record<string, string> }).details;
    expect(details).toMatchObject({ package: `${name}@1.0.0`, expected: pinned, actual: expect.stringMatching(/^sha512-/) });
    expect(details.actual).not.toBe(pinned);
    expect((error as Error).message).toContain(name);
    expect(await hashTree(other)).toEqual(before);
  });

  it("refuses it in the check too (its cosmo.json is read from the pinned tarball)", async () => {
    const npmRetries = { fetchRetries: 2, fetchRetryFactor: 10, fetchRetryMintimeout: 10_000, fetchRetryMaxtimeout: 60_000 };
    const checker = createChecker({ host: host.dir, dataDir, npmOptions: { ...host.npmOptions, ...npmRetries, cache: join(caches, "check-cache") } });
    const startedAt = performance.now();
    const error = await rejection(checker.check({ installed: [name], candidate: "plugin-peer-shared-1" }));
    console.log(`tampered tarball refused by the check in ${Math.round(performance.now() - startedAt)} ms`);
    expect(isCosmoError(error) && error.code).toBe("COSMO_E_INTEGRITY");
    expect((error as { details: Record<string, string> }).details).toMatchObject({ package: name, expected: pinned });
  });
});
