/**
 * Generations on one data dir: the bundle link only ever moves forward. Regression: in the fleet
 * test's concurrent install+applies a runner served set versions 5, 6, 8, 7, 8: a draining
 * worker's apply (or its successor's follower) finished syncing an older generation after the
 * newer one was in place, and the next reload loaded it.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { currentBundle, sync } from "@cosmo/bundler";
import { createOperationsContext, type OperationsContext } from "../src/operations/context";
import { admitGeneration, draftGeneration, readBundleGeneration, GENERATION_FILE } from "../src/operations/generation";
import { createPluginStore } from "../src/store/create";

const manifestWith = (dependencies: Record<string, string>) => ({ name: "host-bundled", version: "1.0.0", private: true, dependencies });

let dataDir: string;
let npmOptions: { registry: string; cache: string };
let ctx: OperationsContext;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "cosmo-generation-"));
  npmOptions = { registry: inject("registryUrl"), cache: join(dataDir, "npm-cache") };
  ctx = createOperationsContext({ dataDir, store: await createPluginStore("memory:", { dataDir }), npmOptions });
  await storeAt(8);
});
afterEach(async () => {
  await ctx.store.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** Sets the store's set version (what the set's changes count up to). */
const storeAt = (version: number) => ctx.store.withSetLock((lease) => ctx.store.setMeta("set", { version }, lease));

const syncAs = (generation: ReturnType<typeof draftGeneration>, version: string) =>
  sync({ dataDir, manifest: manifestWith({ "shared-lib": version }), npmOptions, admit: admitGeneration(ctx, generation) });

describe("admitGeneration", () => {
  it("keeps a newer generation current when an older one finishes syncing last (served 8 then 7)", async () => {
    const older = draftGeneration(7, ["shared-lib@1.0.0"]);
    const newer = draftGeneration(8, ["shared-lib@2.0.0"]);
    const first = await syncAs(newer, "2.0.0");
    expect(first.changed).toBe(true);
    const late = await syncAs(older, "1.0.0");
    expect(late).toMatchObject({ changed: false, superseded: true, path: first.path });
    const current = await currentBundle(dataDir);
    expect(current).toBe(first.path);
    expect((await readBundleGeneration(current))?.id).toBe(newer.id);
  });

  it("orders generations of one set version by creation time, and lets a newer one replace an older", async () => {
    const earlier = draftGeneration(3, ["shared-lib@1.0.0"]);
    const later = { ...draftGeneration(3, ["shared-lib@2.0.0"]), created_at: new Date(Date.parse(earlier.created_at) + 1).toISOString() };
    await syncAs(later, "2.0.0");
    expect((await syncAs(earlier, "1.0.0")).superseded).toBe(true);
    const next = draftGeneration(4, ["shared-lib@1.0.0"]);
    const moved = await syncAs(next, "1.0.0");
    expect(moved.changed).toBe(true);
    expect((await readBundleGeneration(await currentBundle(dataDir)))?.id).toBe(next.id);
  });

  it("lets a generation in over a marker from another store's history (a set version this store never reached)", async () => {
    // A data dir that served set version 50 on another store (files, then Redis; or a Redis emptied).
    await storeAt(50);
    const foreign = draftGeneration(50, ["shared-lib@2.0.0"]);
    await syncAs(foreign, "2.0.0");
    await storeAt(2);
    const mine = draftGeneration(2, ["shared-lib@1.0.0"]);
    const moved = await syncAs(mine, "1.0.0");
    expect(moved.changed).toBe(true);
    expect((await readBundleGeneration(await currentBundle(dataDir)))?.id).toBe(mine.id);
  });

  it("marks the bundle before it becomes current: its marker is there the moment the link points at it", async () => {
    const generation = draftGeneration(1, ["shared-lib@1.0.0"]);
    let markedBeforeSwitch = false;
    const admit = admitGeneration(ctx, generation);
    await sync({
      dataDir,
      manifest: manifestWith({ "shared-lib": "1.0.0" }),
      npmOptions,
      admit: async (staged, current) => {
        const answer = await admit(staged, current);
        markedBeforeSwitch = JSON.parse(await readFile(join(staged, GENERATION_FILE), "utf8")).id === generation.id;
        return answer;
      },
    });
    expect(markedBeforeSwitch).toBe(true);
    expect((await readBundleGeneration(await currentBundle(dataDir)))?.id).toBe(generation.id);
  });
});
