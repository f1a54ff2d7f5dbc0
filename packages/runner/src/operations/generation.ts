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
import { setVersion } from "./plugin-set";

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

/** Writes a bundle dir's marker: the generation it holds. */
export async function markBundle(bundle: string, generation: GenerationMarker): Promise<void> {
  const marker: GenerationMarker = { id: generation.id, set_version: generation.set_version, sources: generation.sources, created_at: generation.created_at };
  await writeFile(join(bundle, GENERATION_FILE), `${JSON.stringify(marker, null, 2)}\n`);
}

/** A generation before its bundle is synced: everything but the lockfile, which the sync writes. */
export type GenerationDraft = Omit<Generation, "lockfile">;

/** A new generation of the set at `setVersion`, to be completed with its lockfile once synced. */
export function draftGeneration(setVersion: number, sources: string[]): GenerationDraft {
  return { id: randomUUID(), set_version: setVersion, sources, created_at: new Date().toISOString(), by: `${hostname()}:${process.pid}` };
}

/** A drafted generation with its synced bundle's lockfile. */
export async function withLockfile(draft: GenerationDraft, lockfilePath: string): Promise<Generation> {
  return { ...draft, lockfile: await readFile(lockfilePath, "utf8") };
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
 * Whether a bundle's generation `held` ranks above `generation`, given the store's set version
 * now. A marker claiming a set version the store never reached is from another store's history
 * (a data dir moved from files to Redis, a Redis emptied): it ranks below every generation of
 * this one, or the runner would never install anything again.
 */
export function outranks(held: GenerationMarker | null, generation: GenerationMarker, storeVersion: number): boolean {
  return held !== null && held.id !== generation.id && held.set_version <= storeVersion && isNewer(held, generation);
}

/**
 * A sync's `admit` for a bundle of `generation`: the new bundle is marked before it becomes
 * current (nobody ever finds the current bundle without its marker), and it is refused when the
 * current bundle already holds a newer generation. So the bundle link of a data dir only ever
 * moves forward, whichever of two racing writers finishes last (an apply still running in a
 * draining worker, its successor installing the fleet's newer generation), and so does every
 * reload, which loads what the link points at.
 */
export function admitGeneration(ctx: OperationsContext, generation: GenerationMarker): (staged: string, current: string | undefined) => Promise<boolean> {
  return async (staged, current) => {
    const held = await readBundleGeneration(current ?? null);
    // Asked only when it matters, and now: the set version grows, and the held generation was
    // made from one the store had reached by then. A store that does not answer keeps the current bundle.
    if (held !== null && held.id !== generation.id && isNewer(held, generation) && outranks(held, generation, await setVersion(ctx).catch(() => Infinity))) return false;
    await markBundle(staged, generation);
    return true;
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
