/**
 * Generations: what an apply produces (the plugin set, its lockfile, an id). The runner that
 * applies stores the generation with the records and, on a shared store, announces it; every
 * bundle carries the id of the generation it installs (`cosmo-generation.json`), which is what
 * a runner reports in /health and what a follower compares (see follow.ts).
 */
import { randomUUID } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import type { OperationsContext } from "./context";

/** A generation of the plugin set. */
export interface Generation {
  id: string;
  /** The set version it was built from: a generation of an older set never replaces a newer one. */
  set_version: number;
  /** The plugin sources, in set order. */
  sources: string[];
  created_at: string;
  /** Who applied it: `host:pid`. */
  by: string;
  /** The bundle's package-lock.json, as text: every runner installs exactly this. */
  lockfile: string;
}

/** What a bundle dir says about the generation it holds. */
export type GenerationMarker = Pick<Generation, "id" | "set_version" | "sources" | "created_at">;

/** File in a bundle dir naming its generation. */
export const GENERATION_FILE = "cosmo-generation.json";

/** The generation a bundle dir holds, or null (a bundle from before generations, or none). */
export async function readBundleGeneration(bundle: string | null): Promise<GenerationMarker | null> {
  if (bundle === null) return null;
  try {
    return JSON.parse(await readFile(join(bundle, GENERATION_FILE), "utf8")) as GenerationMarker;
  } catch {
    return null;
  }
}

/** Marks a freshly synced bundle dir with its generation. */
export async function markBundle(bundle: string, generation: Generation): Promise<void> {
  const marker: GenerationMarker = { id: generation.id, set_version: generation.set_version, sources: generation.sources, created_at: generation.created_at };
  await writeFile(join(bundle, GENERATION_FILE), `${JSON.stringify(marker, null, 2)}\n`);
}

/** A new generation for a synced bundle. */
export async function newGeneration(setVersion: number, sources: string[], lockfilePath: string): Promise<Generation> {
  return {
    id: randomUUID(),
    set_version: setVersion,
    sources,
    created_at: new Date().toISOString(),
    by: `${hostname()}:${process.pid}`,
    lockfile: await readFile(lockfilePath, "utf8"),
  };
}

/** The full generation of a bundle's marker (its lockfile read back). */
export async function asGeneration(marker: GenerationMarker & Partial<Generation>, lockfilePath: string): Promise<Generation> {
  return {
    by: marker.by ?? `${hostname()}:${process.pid}`,
    ...marker,
    lockfile: await readFile(lockfilePath, "utf8"),
  };
}

/**
 * Whether `a` replaces `b`: built from a newer set, or from the same set later. One order for
 * publishers and followers, so a fleet settles on one generation whatever order things arrive in.
 */
export function isNewer(a: Pick<Generation, "set_version" | "created_at">, b: Pick<Generation, "set_version" | "created_at"> | null): boolean {
  if (b === null) return true;
  return a.set_version !== b.set_version ? a.set_version > b.set_version : a.created_at > b.created_at;
}

/** The store's current generation, or null. */
export function currentGeneration(ctx: OperationsContext): Promise<Generation | null> {
  return ctx.store.getMeta<Generation>("generation");
}

/**
 * Stores `generation` as the current one (unless a generation of a newer set is there already)
 * and announces it to the runners sharing the store. Returns whether it became current.
 */
export async function publishGeneration(ctx: OperationsContext, generation: Generation): Promise<boolean> {
  const published = await ctx.store.withSetLock(async (lease) => {
    const current = await currentGeneration(ctx);
    if (current && current.id !== generation.id && !isNewer(generation, current)) return false;
    await ctx.store.setMeta("generation", generation, lease);
    return true;
  });
  if (published) await ctx.store.channel?.publish(generation.id);
  return published;
}
