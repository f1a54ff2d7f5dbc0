import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isCosmoError } from "@cosmo/core";
import * as tar from "tar";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createBundledManifest } from "../src/bundle";
import { exportBundle, importBundle } from "../src/offline-bundle";
import { sync } from "../src/sync";
import { createTestHost, type TestHost } from "./helpers/host";
import { hashTree } from "@cosmo/test-kit";

const rejection = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

type Lock = { packages: Record<string, { version?: string; integrity?: string; link?: boolean }> };
const installedEntries = (lock: Lock) =>
  Object.fromEntries(Object.entries(lock.packages).filter(([l, e]) => l !== "" && !e.link).map(([l, e]) => [l, [e.version, e.integrity]]));

describe("offline bundles: export on one data dir, import into another with no registry", () => {
  const registry = inject("registryUrl");
  let host: TestHost;
  let root: string;
  let archive: string;
  let sources: string[];

  beforeAll(async () => {
    host = await createTestHost({ registry });
    root = await mkdtemp(join(tmpdir(), "cosmo-offline-"));
    // A local plugin too (a directory, packed into the data dir): its tarball travels in the archive.
    const dir = join(root, "local-plugin");
    await mkdir(dir);
    await writeFile(join(dir, "package.json"), JSON.stringify({ name: "local-offline-plugin", version: "1.0.0", type: "module", main: "index.js" }));
    await writeFile(join(dir, "cosmo.json"), JSON.stringify({ name: "local-offline-plugin", version: "1.0.0", plugin_class: "./index.js:Local" }));
    await writeFile(join(dir, "index.js"), "export class Local { setup() {} }\n");
    sources = ["plugin-ok@^1", "plugin-peer-shared-1", dir];
    const dataDir = join(root, "a");
    const manifest = await createBundledManifest({ hostDir: host.dir, sources, dataDir, npmOptions: host.npmOptions });
    // omit-lockfile-registry-resolved (a real setting) in the user's config: the export still
    // carries every tarball and its URL.
    await sync({ dataDir, manifest, npmOptions: { ...host.npmOptions, omitLockfileRegistryResolved: true } });
    archive = join(root, "plugins.tgz");
    await exportBundle({ dataDir, sources, npmOptions: host.npmOptions }, archive);
    // The source directory is gone on the "other machine": only the archive travels.
    await rm(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await Promise.all([host.cleanup(), rm(root, { recursive: true, force: true })]);
  });

  it("installs the same tree from the archive alone: registry unreachable, offline, integrity checked", async () => {
    const dataDir = join(root, "b");
    const npmOptions = { registry: "http://127.0.0.1:9/", cache: join(root, "b-cache") };
    const imported = await importBundle(archive, { dataDir, npmOptions });
    expect(imported.sources.slice(0, 2)).toEqual(["plugin-ok@^1", "plugin-peer-shared-1"]);
    expect(imported.sources[2]).toMatch(new RegExp(`^${join(dataDir, "cache", "imported")}/local-offline-plugin-1\\.0\\.0-`));
    const manifest = await createBundledManifest({ hostDir: host.dir, sources: imported.sources, dataDir, npmOptions });
    const result = await sync({ dataDir, manifest, lockfile: imported.lockfile, npmOptions: { ...npmOptions, offline: true } });
    const a = JSON.parse(await readFile(join(root, "a", "bundle", "package-lock.json"), "utf8")) as Lock;
    const b = JSON.parse(await readFile(result.lockfile, "utf8")) as Lock;
    expect(installedEntries(b)).toEqual(installedEntries(a));
    for (const pkg of ["plugin-ok", "plugin-peer-shared-1", "local-offline-plugin"]) {
      expect(await hashTree(join(result.bundleDir, "node_modules", pkg))).toEqual(await hashTree(join(root, "a", "bundle", "node_modules", pkg)));
    }
  });

  it("refuses an archive whose tarball was changed with COSMO_E_INTEGRITY naming the package; nothing is written", async () => {
    const work = join(root, "tamper");
    await mkdir(work);
    await tar.x({ file: archive, cwd: work });
    const meta = JSON.parse(await readFile(join(work, "cosmo-bundle", "bundle.json"), "utf8")) as { tarballs: Array<{ file: string; name: string }> };
    const target = meta.tarballs.find((t) => t.name === "plugin-ok");
    await writeFile(join(work, "cosmo-bundle", target!.file), await readFile(join(work, "cosmo-bundle", meta.tarballs.find((t) => t.name !== "plugin-ok")!.file)));
    const tampered = join(root, "tampered.tgz");
    await tar.c({ gzip: true, file: tampered, cwd: work }, ["cosmo-bundle"]);
    const dataDir = join(root, "c");
    const error = await rejection(importBundle(tampered, { dataDir, npmOptions: { registry: "http://127.0.0.1:9/", cache: join(root, "c-cache") } }));
    expect(isCosmoError(error) && error.code).toBe("COSMO_E_INTEGRITY");
    expect((error as { details: Record<string, string> }).details).toMatchObject({ package: "plugin-ok@1.0.0", expected: expect.stringMatching(/^sha512-/) });
  });

  it("refuses a file that is no offline bundle with COSMO_E_IMPORT_INVALID", async () => {
    const junk = join(root, "junk.tgz");
    await writeFile(junk, "not a tarball");
    const error = await rejection(importBundle(junk, { dataDir: join(root, "d") }));
    expect(isCosmoError(error) && error.code).toBe("COSMO_E_IMPORT_INVALID");
  });
});
