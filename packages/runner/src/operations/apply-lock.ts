/**
 * The apply lock: one apply at a time per data dir, across processes. `ctx.serial` orders the
 * operations of one process, but during a reload two workers of one runner are alive (the
 * retired one still answers the applies it accepted) and the CLI may apply too. Two applies at
 * once would each write `package.bundled.json` and then sync whichever one was written last,
 * so an apply could install the other's set under its own generation.
 */
import { join } from "node:path";
import { LockTimeoutError, withLock } from "@cosmo/bundler";
import { createError } from "@cosmo/core";
import type { OperationsContext } from "./context";

// An apply takes seconds (a fresh one of many plugins, a minute on a slow registry): a waiter
// waits for several in a row (the wait between attempts grows to about 200 ms).
const RETRIES = 3000;

/** Runs `fn` (an apply's reading of the set, bundle and sync) holding the data dir's apply lock. */
export async function withApplyLock<T>(ctx: OperationsContext, fn: () => Promise<T>): Promise<T> {
  const lock = join(ctx.dataDir, "apply.lock");
  try {
    return await withLock(ctx.dataDir, lock, fn, { retries: RETRIES });
  } catch (error) {
    if (error instanceof LockTimeoutError) {
      // Worded as sync's own lock timeout, so no plugin is blamed for it (see apply's blamed()).
      throw createError("COSMO_E_SYNC_FAILED", { reason: `another sync or rollback of ${ctx.dataDir} is running (an apply holds ${lock}); try again once it is done` }, { cause: error });
    }
    throw error;
  }
}
