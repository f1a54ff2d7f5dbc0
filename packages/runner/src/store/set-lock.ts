/**
 * The plugin set's one critical section. Whoever changes the set (add a record, install,
 * uninstall, delete, publish a generation) holds this lock across processes: a file lock in the
 * data dir when the store is local, a redis lock with a fencing token when runners share redis.
 */
import { join } from "node:path";
import { LockTimeoutError, withLock } from "@cosmo/bundler";
import { createError } from "@cosmo/core";

/** Proof of holding the set lock, passed to writes made inside the critical section. */
export interface SetLease {
  /** Grows with every acquisition: a write carrying an older fence than the lock's is refused. */
  readonly fence: number;
  /** Throws COSMO_E_SET_LOCK_LOST when the lock is no longer ours (it expired and was taken). */
  assertHeld(): void;
}

/** A lock over one plugin set. */
export interface SetLock {
  /** Runs `work` as the set's only writer; throws COSMO_E_SET_LOCKED when the lock stays held. */
  run<T>(work: (lease: SetLease) => Promise<T>): Promise<T>;
}

/** How long a writer waits for the set lock before giving up (ms). */
export const SET_LOCK_WAIT_MS = 15_000;

/**
 * The set lock of a data dir: proper-lockfile on `<dataDir>/plugins/set.lock`, taken over at
 * once when its holder's process is gone (see @cosmo/bundler's withLock).
 */
export function fileSetLock(dataDir: string): SetLock {
  const dir = join(dataDir, "plugins");
  const lockPath = join(dir, "set.lock");
  // Writers of one process queue here first, so the file lock sees one of them at a time.
  let tail: Promise<unknown> = Promise.resolve();
  let fence = 0;
  return {
    run<T>(work: (lease: SetLease) => Promise<T>): Promise<T> {
      const attempt = async () => {
        try {
          // ~15 s of jittered retries (5 ms growing to 200 ms).
          return await withLock(dir, lockPath, () => work({ fence: ++fence, assertHeld: () => {} }), { retries: 110 });
        } catch (error) {
          if (error instanceof LockTimeoutError) throw createError("COSMO_E_SET_LOCKED", { lock: lockPath }, { cause: error });
          throw error;
        }
      };
      const run = tail.then(attempt, attempt);
      tail = run.catch(() => undefined);
      return run;
    },
  };
}
