import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isCosmoError } from "@cosmo/core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createPluginStore } from "../src/store/create";
import type { PluginStore } from "../src/store/types";
import { canStartRedis, freePort, hasRedis, startRedis, type TestRedis } from "@cosmo/test-kit";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Expects a promise to reject with the given Cosmo error code. */
async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isCosmoError(error), String(error)).toBe(true);
  expect((error as { code: string }).code).toBe(code);
}

/** The contract every PluginStore implementation keeps: one suite, run against each. */
function describeStore(name: string, factory: () => Promise<PluginStore>): void {
  describe(`PluginStore contract: ${name}`, () => {
    let store: PluginStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    it("creates a pending record with a uuid and equal timestamps", async () => {
      const record = await store.create({ name: "smart-switch", source: "smart-switch@^1" });
      expect(record).toMatchObject({ name: "smart-switch", source: "smart-switch@^1", install_status: "pending", error_message: null });
      expect(record.id).toMatch(UUID);
      expect(Number.isNaN(Date.parse(record.created_at))).toBe(false);
      expect(record.updated_at).toBe(record.created_at);
      expect(await store.get(record.id)).toEqual(record);
    });

    it("refuses a second record with the same source", async () => {
      const first = await store.create({ name: "a", source: "a@1" });
      await expectCode(store.create({ name: "a", source: "a@1" }), "COSMO_E_RECORD_DUPLICATE");
      expect((await store.list()).map((r) => r.id)).toEqual([first.id]);
    });

    it("keeps plugin data (pluginStorage) beside the records, never among them", async () => {
      const record = await store.create({ name: "smart-switch", source: "smart-switch@1" });
      const data = store.pluginStorage();
      // What PluginService does with it: one prefix per plugin, here the one core uses.
      await data.setItem("plugins:smart-switch:state", { on: true });
      expect(await store.list()).toEqual([record]);
      expect(await store.pluginStorage().getItem("plugins:smart-switch:state")).toEqual({ on: true });
      await data.removeItem("plugins:smart-switch:state");
    });

    it("returns null for an unknown or malformed id", async () => {
      expect(await store.get("00000000-0000-4000-8000-000000000000")).toBeNull();
      expect(await store.get("plugins:../x")).toBeNull();
      expect(await store.get("")).toBeNull();
      // Regression: `cosmo-runner plugins install .` passed "." here, which unstorage refuses as
      // a key, and the CLI reported the store as unreachable.
      expect(await store.get(".")).toBeNull();
      expect(await store.get("./")).toBeNull();
    });

    it("lists records oldest first", async () => {
      const made = [];
      for (const n of ["c", "a", "b"]) made.push(await store.create({ name: n, source: `${n}@1` }));
      const listed = await store.list();
      expect(listed.map((r) => r.source).sort()).toEqual(["a@1", "b@1", "c@1"]);
      const keys = listed.map((r) => `${r.created_at}|${r.id}`);
      expect(keys).toEqual([...keys].sort());
    });

    it("lists nothing when empty", async () => {
      expect(await store.list()).toEqual([]);
    });

    it("updates the patched fields and bumps updated_at, keeping id, source and created_at", async () => {
      const record = await store.create({ name: "p", source: "p@1" });
      const patch = { install_status: "failed" as const, error_message: "ERESOLVE", id: "other", source: "x", created_at: "1970-01-01T00:00:00.000Z" };
      const updated = await store.update(record.id, patch);
      expect(updated).toMatchObject({ id: record.id, source: "p@1", created_at: record.created_at, install_status: "failed", error_message: "ERESOLVE" });
      expect(updated.updated_at > record.updated_at).toBe(true);
      expect(await store.get(record.id)).toEqual(updated);
    });

    it("throws COSMO_E_RECORD_NOT_FOUND when updating or removing an unknown id", async () => {
      await expectCode(store.update("00000000-0000-4000-8000-000000000000", { name: "x" }), "COSMO_E_RECORD_NOT_FOUND");
      await expectCode(store.remove("00000000-0000-4000-8000-000000000000"), "COSMO_E_RECORD_NOT_FOUND");
    });

    it("removes a record and returns it", async () => {
      const keep = await store.create({ name: "keep", source: "keep@1" });
      const gone = await store.create({ name: "gone", source: "gone@1" });
      expect(await store.remove(gone.id)).toEqual(gone);
      expect(await store.get(gone.id)).toBeNull();
      expect((await store.list()).map((r) => r.id)).toEqual([keep.id]);
      // The source is free again once its record is gone.
      await store.create({ name: "gone", source: "gone@1" });
    });

    it("finds a record by its exact source", async () => {
      const record = await store.create({ name: "q", source: "@scope/q@2.0.0" });
      expect(await store.findBySource("@scope/q@2.0.0")).toEqual(record);
      expect(await store.findBySource("@scope/q")).toBeNull();
    });
  });
}

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cosmo-store-"));
  tempDirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
});

describeStore("memory", () => createPluginStore("memory:", { dataDir: "/nonexistent" }));
describeStore("fs", async () => createPluginStore(undefined, { dataDir: await tempDir() }));

describe.skipIf(!hasRedis)("with a real redis-server", () => {
  let redis: TestRedis;
  let n = 0;
  beforeAll(async () => {
    redis = await startRedis();
  }, 20_000);
  afterAll(async () => {
    await redis?.stop();
  });

  // Each test gets a namespace of its own in the one server, so tests start empty.
  describeStore("redis", () => createPluginStore(redis.url, { dataDir: "/nonexistent", namespace: `t${++n}` }));

  it("lets two stores over one redis see each other's records (several runners, one plugin set)", async () => {
    const a = await createPluginStore(redis.url, { dataDir: "/nonexistent", namespace: "shared" });
    const b = await createPluginStore(redis.url, { dataDir: "/nonexistent", namespace: "shared" });
    try {
      const made = await a.create({ name: "s", source: "s@1" });
      expect(await b.get(made.id)).toEqual(made);
      await expectCode(b.create({ name: "s", source: "s@1" }), "COSMO_E_RECORD_DUPLICATE");
      const updated = await b.update(made.id, { install_status: "installed" });
      expect(await a.get(made.id)).toEqual(updated);
      await a.remove(made.id);
      expect(await b.list()).toEqual([]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe("createPluginStore", () => {
  it("keeps fs records across a restart (a new store over the same data dir)", async () => {
    const dataDir = await tempDir();
    const first = await createPluginStore(undefined, { dataDir });
    const record = await first.create({ name: "r", source: "r@1" });
    await first.close();
    const second = await createPluginStore(undefined, { dataDir });
    expect(await second.list()).toEqual([record]);
    await second.close();
  });

  it("writes fs records by rename, leaving no temp files behind", async () => {
    const dataDir = await tempDir();
    const store = await createPluginStore(undefined, { dataDir });
    const record = await store.create({ name: "r", source: "r@1" });
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.update(record.id, { name: `r${i}` })));
    expect(await readdir(join(dataDir, "store", "plugins"))).toEqual([record.id]);
    expect((await store.get(record.id))?.id).toBe(record.id);
    await store.close();
  });

  it("rejects an unknown store URL with COSMO_E_STORE_URL_INVALID", async () => {
    await expectCode(createPluginStore("postgres://localhost/db", { dataDir: "/x" }), "COSMO_E_STORE_URL_INVALID");
    await expectCode(createPluginStore("memory", { dataDir: "/x" }), "COSMO_E_STORE_URL_INVALID");
  });

  it("gives COSMO_E_STORE_UNAVAILABLE, within the timeout, when redis does not answer", async () => {
    const port = await freePort();
    const started = Date.now();
    await expectCode(createPluginStore(`redis://127.0.0.1:${port}`, { dataDir: "/x", connectTimeout: 1_000 }), "COSMO_E_STORE_UNAVAILABLE");
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it.skipIf(!canStartRedis)("fails operations with COSMO_E_STORE_UNAVAILABLE, not a hang, when redis goes away after connecting", async () => {
    const server = await startRedis();
    const store = await createPluginStore(server.url, { dataDir: "/x" });
    try {
      await store.create({ name: "a", source: "a@1" });
      await server.stop();
      const started = Date.now();
      await expectCode(store.list(), "COSMO_E_STORE_UNAVAILABLE");
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await store.close();
      await server.stop();
    }
  }, 20_000);

  it("does not put a redis password in its errors", async () => {
    const port = await freePort();
    const error = await createPluginStore(`redis://user:s3cret@127.0.0.1:${port}`, { dataDir: "/x", connectTimeout: 500 }).catch((e: Error) => e);
    expect(JSON.stringify((error as unknown as { toJSON(): unknown }).toJSON())).not.toContain("s3cret");
  });
});
