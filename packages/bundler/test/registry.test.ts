import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import pacote from "pacote";
import { registryEnv } from "@cosmo/test-kit";

// Pins the test registry itself: every other bundler test stands on it.
describe("test registry", () => {
  const registry = inject("registryUrl");
  // A cache of our own: never the user's ~/.npm.
  const opts = { registry, preferOnline: true, cache: "" };

  beforeAll(async () => {
    opts.cache = await mkdtemp(join(tmpdir(), "cosmo-registry-cache-"));
  });

  afterAll(async () => {
    await rm(opts.cache, { recursive: true, force: true });
  });

  it("serves both published majors of shared-lib, latest being 2.0.0", async () => {
    const packument = await pacote.packument("shared-lib", { ...opts, fullMetadata: true });
    expect(Object.keys(packument.versions).sort()).toEqual(["1.0.0", "2.0.0"]);
    expect(packument["dist-tags"].latest).toBe("2.0.0");
  });

  it("serves plugin-ok with its cosmo.json in the tarball", async () => {
    const manifest = await pacote.manifest("plugin-ok@1", opts);
    expect(manifest.dependencies).toEqual({ "shared-lib": "^1.0.0" });
    const res = await fetch(manifest.dist.tarball);
    expect(res.status).toBe(200);
  });

  it("resolves lib-missing-tarball's packument but 404s its tarball", async () => {
    const manifest = await pacote.manifest("lib-missing-tarball@1.0.0", opts);
    const res = await fetch(manifest.dist.tarball);
    expect(res.status).toBe(404);
  });

  it("answers 404 for a package it does not hold (no uplinks)", async () => {
    const res = await fetch(`${registry}left-pad`);
    expect(res.status).toBe(404);
  });

  it("points a spawned npm at it through registryEnv, whatever the machine's npm config says", async () => {
    const { env, dir } = await registryEnv(registry, { ...process.env, npm_config_registry: "http://127.0.0.1:9/" });
    try {
      const { stdout } = await promisify(execFile)("npm", ["view", "shared-lib", "version"], { env });
      expect(stdout.trim()).toBe("2.0.0");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
