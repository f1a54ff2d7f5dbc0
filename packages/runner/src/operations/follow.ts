/**
 * Following the fleet: a runner on a shared store serves the set's current generation. It
 * reads the generation at start, on every announcement and after every reconnect (announcements
 * sent while it was away are lost), installs that exact lockfile (`syncLockfile`: no
 * resolution, so every runner serves byte-identical plugin trees) and reloads. A runner that
 * cannot sync keeps serving what it had and says why (`status()`, shown in /health).
 */
import { createBundle, currentBundle, syncLockfile, type SyncResult } from "@cosmo/bundler";
import { createError, errorMessage, isCosmoError, type CosmoError } from "@cosmo/core";
import type { OperationsContext } from "./context";
import { admitGeneration, currentGeneration, outranks, readBundleGeneration, type Generation, type GenerationMarker } from "./generation";
import { setVersion, writeTrackingFromModel } from "./plugin-set";
import { bundlerSourcePolicy } from "./source-policy";

/** Where a runner stands in the fleet, for /health. */
export interface FollowStatus {
  /** The generation this worker serves (null: none yet, or a bundle from before generations). */
  serving: string | null;
  /** The store's current generation, when it differs from `serving`. */
  wanted: string | null;
  state: "current" | "syncing" | "behind";
  /** Why the runner is behind: the coded error of the last failed sync. */
  error?: { code: string; message: string };
}

/** Options of `followGenerations`. */
export interface FollowOptions {
  /** The generation the worker serves. */
  serving: GenerationMarker | null;
  /** Has the supervisor serve the (new) current bundle, unless it serves it already. */
  reload(): Promise<unknown>;
  log?: { info(message: string): void; warn(message: string): void };
}

/** A running follower. */
export interface Follower {
  status(): FollowStatus;
  /** Looks at the store's generation now (what an announcement or a reconnect triggers). */
  catchUp(): Promise<void>;
  /** Stops listening (a draining worker leaves the following to its successor). */
  stop(): Promise<void>;
}

async function bundleGeneration(dataDir: string) {
  try {
    return await readBundleGeneration(await currentBundle(dataDir));
  } catch {
    return null;
  }
}

/**
 * Installs a generation's lockfile as this runner's current bundle (no resolution), unless the
 * current bundle holds a newer generation already (then `superseded`, and it stays).
 */
export async function installGeneration(ctx: OperationsContext, generation: Generation): Promise<SyncResult> {
  // This host's manifest (its links point at this machine's host packages, local directories
  // are packed here); the plugin tree comes from the generation's lockfile as it is.
  const bundle = await createBundle({
    hostDir: ctx.hostDir,
    sources: generation.sources,
    dataDir: ctx.dataDir,
    npmOptions: await ctx.npmOptions(),
    ...bundlerSourcePolicy(ctx.sourcePolicy),
  });
  // Marked before it is current, and kept out when the current bundle holds a newer generation
  // (`superseded`): see admitGeneration.
  const result = await syncLockfile({
    dataDir: ctx.dataDir,
    manifest: bundle.manifest,
    lockfile: generation.lockfile,
    npmOptions: await ctx.npmOptions(),
    admit: admitGeneration(ctx, generation),
  });
  await ctx.store.withSetLock((lease) => writeTrackingFromModel(ctx, lease)).catch(() => undefined);
  return result;
}

/**
 * Starts following the store's generations (shared stores only; on a local store the runner's
 * own applies are all there is). Resolves once subscribed; the first catch-up runs then.
 */
export async function followGenerations(ctx: OperationsContext, options: FollowOptions): Promise<Follower> {
  const serving = options.serving;
  let status: FollowStatus = { serving: serving?.id ?? null, wanted: null, state: "current" };
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;

  async function once(): Promise<void> {
    const generation = await currentGeneration(ctx);
    if (stopped) return;
    // Only ever forward: a worker that has just started on a newer generation than the stored
    // one (its apply publishes once it serves) must not go back to the older one.
    if (!generation || generation.id === serving?.id || outranks(serving, generation, await setVersion(ctx))) {
      status = { serving: status.serving, wanted: null, state: "current" };
      return;
    }
    status = { ...status, wanted: generation.id, state: "syncing", error: status.error };
    try {
      const moved = await ctx.serial(async () => {
        // Another worker of this runner (the one before a reload) may have installed it already.
        const held = await bundleGeneration(ctx.dataDir);
        // An apply of this runner queued before us may have installed a newer generation than
        // the one read above (it publishes only after it serves): never step back onto an older one.
        if (outranks(held, generation, await setVersion(ctx))) return false;
        // Installed or superseded (a newer generation got in first: an apply of the worker before
        // this one, finishing after the check above), the link now holds this generation or a
        // newer one, and the reload loads what it holds (a no-op if that is served already).
        if (held?.id !== generation.id) await installGeneration(ctx, generation);
        if (stopped) return false;
        await options.reload();
        return true;
      });
      if (!moved) {
        status = { serving: status.serving, wanted: null, state: "current" };
        return;
      }
      options.log?.info(`serving generation ${generation.id} of the shared plugin set`);
      // This worker is being replaced; its successor reports the new generation.
      status = { serving: status.serving, wanted: generation.id, state: "syncing" };
    } catch (error) {
      const coded: CosmoError = createError("COSMO_E_GENERATION_SYNC_FAILED", {
        generation: generation.id,
        serving: status.serving ?? "none",
        reason: isCosmoError(error) ? `${error.code}: ${error.message}` : errorMessage(error),
      });
      options.log?.warn(coded.message);
      status = { serving: status.serving, wanted: generation.id, state: "behind", error: { code: coded.code, message: coded.message } };
    }
  }

  function catchUp(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await once().catch((error: unknown) => options.log?.warn(`could not read the shared generation: ${errorMessage(error)}`));
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  let unsubscribe: (() => Promise<void>) | undefined;
  if (ctx.store.channel) {
    unsubscribe = await ctx.store.channel.subscribe(
      () => void catchUp(),
      () => void catchUp(),
    );
  }
  return {
    status: () => status,
    catchUp,
    async stop() {
      stopped = true;
      await unsubscribe?.();
    },
  };
}
