/**
 * Tampering, named, through the CLI as a user meets it: a plugin's tarball changed in the
 * registry after it was published (same name and version, other bytes). Installing it on a data
 * dir with a cold npm cache is refused at once with COSMO_E_INTEGRITY naming the package and both
 * integrities, and nothing is tracked. The package is this file's own: the run's tests share one
 * registry, and this one breaks it on purpose.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Arborist from "@npmcli/arborist";
import pacote from "pacote";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { publishDirectory, registryEnv } from "@cosmo/test-kit";
import { cli, trackingBytes } from "./helpers/e2e";

describe("a tampered tarball", { timeout: 120_000 }, () => {
  const name = `tamper-cli-${process.pid}-${Date.now()}`;
  let root: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "cosmo-tamper-cli-"));
    const src = join(root, "src");
    const write = async (body: string) => {
      await rm(src, { recursive: true, force: true });
      const { mkdir } = await import("node:fs/promises");
      await mkdir(src, { recursive: true });
      await writeFile(join(src, "package.json"), JSON.stringify({ name, version: "1.0.0", type: "module", main: "index.js" }));
      await writeFile(join(src, "cosmo.json"), JSON.stringify({ name, version: "1.0.0", plugin_class: "./index.js:Tamper" }));
      await writeFile(join(src, "index.js"), body);
    };
    await write("export class Tamper { setup() {} }\n");
    await publishDirectory(inject("registryUrl"), src);
    // Same name and version, other bytes, in the registry's storage.
    await write("export class Tamper { setup() { /* changed */ } }\n");
    const evil = await pacote.tarball(`file:${src}`, { Arborist, ignoreScripts: true, cache: join(root, "pack-cache") });
    await writeFile(join(inject("registryStorageDir"), name, `${name}-1.0.0.tgz`), evil);
    env = (await registryEnv(inject("registryUrl"))).env as Record<string, string>;
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  });

  it("is refused at install with COSMO_E_INTEGRITY naming the package and both integrities; nothing is tracked", async () => {
    const dataDir = join(root, "data");
    const startedAt = performance.now();
    const refused = await cli(["plugins", "install", name, "--json", "--data-dir", dataDir], env);
    const tookMs = Math.round(performance.now() - startedAt);
    console.log(`tampered tarball refused by \`cosmo-runner plugins install\` in ${tookMs} ms (process start included)`);
    expect(refused.code).toBe(1);
    const error = JSON.parse(refused.stdout).error;
    expect(error).toMatchObject({ code: "COSMO_E_INTEGRITY", details: { package: name, expected: expect.stringMatching(/^sha512-/), actual: expect.stringMatching(/^sha512-/) } });
    expect(error.details.actual).not.toBe(error.details.expected);
    expect(refused.stderr).toContain(name);
    expect((await trackingBytes(dataDir)).toString()).toBe("");
  });
});
