import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pacote from "pacote";
import { afterAll, describe, expect, inject, it } from "vitest";
import { readTarballFile } from "../src/tarball";

describe("readTarballFile", () => {
  let cache: string;
  afterAll(() => rm(cache, { recursive: true, force: true }));

  it("reads cosmo.json out of a published tarball in memory", async () => {
    cache = await mkdtemp(join(tmpdir(), "cosmo-tgz-"));
    const tgz = await pacote.tarball("plugin-ok@1.0.0", { registry: inject("registryUrl"), cache });
    const text = readTarballFile(tgz, "cosmo.json");
    expect(JSON.parse(String(text))).toMatchObject({ name: "plugin-ok", webhook_prefix: "/ok" });
    expect(JSON.parse(String(readTarballFile(tgz, "package.json")))).toMatchObject({ name: "plugin-ok" });
  });

  it("answers undefined for a file the package does not have", async () => {
    const tgz = await pacote.tarball("not-a-plugin@1.0.0", { registry: inject("registryUrl"), cache });
    expect(readTarballFile(tgz, "cosmo.json")).toBeUndefined();
  });
});
