/**
 * Inter-process locks on a directory, with proper-lockfile: a lock is a `mkdir` (atomic on every
 * filesystem), refreshed while held and taken over once stale, so a crashed holder never blocks
 * the next process for good.
 */
import { mkdir } from "node:fs/promises";
import lockfile from "proper-lockfile";

/** How long to wait for a lock and when a held lock counts as abandoned. */
export interface LockOptions {
  /** Attempts after the first before giving up (default 100, ~10 s with backoff). */
  retries?: number;
  /** A lock not refreshed for this many ms is stale and may be taken (default 10000). */
  stale?: number;
}

/** Thrown by {@link withLock} when the lock stayed held by someone else. */
export class LockTimeoutError extends Error {
  override readonly name = "LockTimeoutError";
}

/**
 * Runs `fn` while holding the lock `lockPath` (a directory created next to what it guards).
 * `dir` must be where `lockPath` lives; it is created if missing.
 */
export async function withLock<T>(dir: string, lockPath: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  await mkdir(dir, { recursive: true });
  let compromised: Error | undefined;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dir, {
      lockfilePath: lockPath,
      stale: options.stale ?? 10_000,
      // Short, jittered waits: the critical sections are a read and a rename, a few ms each.
      retries: { retries: options.retries ?? 100, factor: 1.3, minTimeout: 5, maxTimeout: 200, randomize: true },
      // The default throws from a timer, which would crash the host; note it and fail the write instead.
      onCompromised: (error) => {
        compromised = error;
      },
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOCKED") throw new LockTimeoutError(`${lockPath} is held`, { cause: error });
    throw error;
  }
  try {
    const result = await fn();
    if (compromised) throw compromised;
    return result;
  } finally {
    // Releasing a compromised lock fails (it is someone else's now); that is not our error to report.
    await release().catch(() => undefined);
  }
}
