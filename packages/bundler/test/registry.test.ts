import { inject, describe, expect, it } from "vitest";
import pacote from "pacote";

// Pins the test registry itself: every other bundler test stands on it.
describe("test registry", () => {
  const registry = inject("registryUrl");
  const opts = { registry, preferOnline: true, cache: undefined as string | undefined };

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
});
