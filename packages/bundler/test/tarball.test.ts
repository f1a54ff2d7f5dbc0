import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pacote from "pacote";
import * as tar from "tar";
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

describe("readTarballFile on archives npm did not pack", () => {
  it("finds a file whose long path is carried by a pax header", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cosmo-tgz-pax-"));
    try {
      // Longer than ustar's 100 + 155 bytes of name and prefix, so tar must write a pax header.
      const deep = `${"d".repeat(90)}/${"e".repeat(90)}/${"f".repeat(90)}`;
      await mkdir(join(dir, "package", deep), { recursive: true });
      await writeFile(join(dir, "package", deep, "cosmo.json"), '{"name":"deep"}');
      const tgz = await streamToBuffer(tar.create({ gzip: true, cwd: dir, portable: true }, ["package"]));
      expect(String(readTarballFile(tgz, `${deep}/cosmo.json`))).toBe('{"name":"deep"}');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("throws on bytes that are not a gzip'd tar archive", () => {
    expect(() => readTarballFile(Buffer.from("not a tarball at all, just text"), "cosmo.json")).toThrow();
  });
});

async function streamToBuffer(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}
