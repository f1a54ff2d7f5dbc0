import { createHash } from "node:crypto";
import { realpathSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isCosmoError } from "@cosmo/core";
import pacote from "pacote";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BUNDLED_MANIFEST, createBundledManifest, writeBundledManifest } from "../src/bundle";
import { createTestHost, type TestHost } from "./helpers/host";

describe("the bundled manifest", () => {
  let host: TestHost;
  let work: string;
  const sha = async (file: string) => createHash("sha256").update(await readFile(file)).digest("hex");

  beforeAll(async () => {
    host = await createTestHost({ registry: inject("registryUrl") });
    work = await mkdtemp(join(tmpdir(), "cosmo-bundle-"));
  });
  afterAll(async () => {
    await host.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  it("renames the host, links its dependencies to the installed copies and adds plugins by package name", async () => {
    const tgz = join(work, "scripts.tgz");
    await writeFile(tgz, await pacote.tarball("plugin-scripts@1.0.0", host.npmOptions));
    const before = await sha(join(host.dir, "package.json"));
    const manifest = await createBundledManifest({
      hostDir: host.dir,
      sources: ["plugin-ok@^1", tgz],
      npmOptions: host.npmOptions,
    });
    expect(manifest.name).toBe("test-host-bundled");
    const { "@cosmo/core": core, "shared-lib": shared, ...plugins } = manifest.dependencies;
    // Host deps are linked to the copies the host loads (a workspace symlink may be resolved).
    const target = (spec: string | undefined) => realpathSync(String(spec).replace(/^file:/, ""));
    expect(target(core)).toBe(realpathSync(join(host.dir, "node_modules/@cosmo/core")));
    expect(target(shared)).toBe(realpathSync(join(host.dir, "node_modules/shared-lib")));
    expect(plugins).toEqual({ "plugin-ok": "^1", "plugin-scripts": `file:${tgz}` });
    expect(await sha(join(host.dir, "package.json"))).toBe(before);
  });

  it("leaves the host's dev dependencies and scripts out of the bundle", async () => {
    const pkgFile = join(host.dir, "package.json");
    const original = await readFile(pkgFile, "utf8");
    const pkg = JSON.parse(original);
    await writeFile(pkgFile, JSON.stringify({ ...pkg, devDependencies: { vitest: "*" }, scripts: { start: "node ." } }));
    try {
      const manifest = await createBundledManifest({ hostDir: host.dir, sources: [] });
      expect(manifest).not.toHaveProperty("devDependencies");
      expect(manifest).not.toHaveProperty("scripts");
      expect(manifest).toMatchObject({ private: true, type: "module", version: "1.0.0" });
    } finally {
      await writeFile(pkgFile, original);
    }
  });

  it("fails with COSMO_E_HOST_INVALID naming a host dependency that is not installed", async () => {
    const pkgFile = join(host.dir, "package.json");
    const original = await readFile(pkgFile, "utf8");
    const pkg = JSON.parse(original);
    await writeFile(pkgFile, JSON.stringify({ ...pkg, dependencies: { ...pkg.dependencies, "left-uninstalled": "^1" } }));
    try {
      const error = await createBundledManifest({ hostDir: host.dir, sources: [] }).catch((e: unknown) => e);
      expect(isCosmoError(error) && error.code).toBe("COSMO_E_HOST_INVALID");
      expect(String((error as Error).message)).toMatch(/"left-uninstalled" is not installed.*npm install/);
    } finally {
      await writeFile(pkgFile, original);
    }
  });

  it("refuses two sources for one package", async () => {
    const error = await createBundledManifest({ hostDir: host.dir, sources: ["plugin-ok@1", "plugin-ok@^1"] }).catch((e: unknown) => e);
    expect(isCosmoError(error) && error.code).toBe("COSMO_E_SPEC_INVALID");
  });

  it("writes package.bundled.json atomically, leaving no temp file", async () => {
    const manifest = await createBundledManifest({ hostDir: host.dir, sources: ["plugin-ok"] });
    const file = await writeBundledManifest(work, manifest);
    expect(file).toBe(join(work, BUNDLED_MANIFEST));
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual(manifest);
    expect((await readdir(work)).filter((f) => f.startsWith(BUNDLED_MANIFEST))).toEqual([BUNDLED_MANIFEST]);
  });
});
