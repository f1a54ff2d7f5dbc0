import { realpath, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createBundledManifest } from "../src/bundle";
import { sync } from "../src/sync";
import { createTestHost, type TestHost } from "./helpers/host";
import { hashTree } from "@cosmo/test-kit";

// The whole path a user takes: a real host, its bundled manifest (bundle.ts), a sync of it.
describe("sync of a host's bundled manifest", () => {
  let host: TestHost;
  let dataDir: string;

  beforeAll(async () => {
    host = await createTestHost({ registry: inject("registryUrl") });
    dataDir = join(host.dir, "..", "data");
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await host.cleanup();
  });

  it("installs the plugins, links the host's packages, and leaves the host byte-identical", async () => {
    const before = await hashTree(host.dir);
    const manifest = await createBundledManifest({ hostDir: host.dir, sources: ["plugin-ok@^1"], npmOptions: host.npmOptions });
    const { path } = await sync({ dataDir, manifest, npmOptions: host.npmOptions });

    expect(await hashTree(host.dir)).toEqual(before);
    // The host's own packages are links to the copies the host installed, not new copies.
    expect(await realpath(join(path, "node_modules/@cosmo/core"))).toBe(await realpath(join(host.dir, "node_modules/@cosmo/core")));
    expect(await realpath(join(path, "node_modules/shared-lib"))).toBe(await realpath(join(host.dir, "node_modules/shared-lib")));
    const lock = JSON.parse(await readFile(join(path, "package-lock.json"), "utf8"));
    expect(lock.packages["node_modules/@cosmo/core"].link).toBe(true);
    expect(lock.packages["node_modules/plugin-ok"].version).toBe("1.0.0");

    // plugin-ok's `import "shared-lib"` resolves to the host's copy: one module, not two.
    const fromPlugin = createRequire(join(path, "node_modules/plugin-ok/index.js")).resolve("shared-lib");
    const fromHost = createRequire(join(host.dir, "index.js")).resolve("shared-lib");
    expect(await realpath(fromPlugin)).toBe(await realpath(fromHost));
  });
});
