/**
 * Inter-process locks on a directory, with proper-lockfile: a lock is a `mkdir` (atomic on every
 * filesystem), refreshed while held and taken over once stale, so a crashed holder never blocks
 * the next process for good.
 *
 * proper-lockfile alone waits out its whole stale period (10 s) before taking a killed
 * process's lock. Beside each lock we keep an owner note (`<lock>.owner`: pid, host, and which
 * lock dir it describes); a waiter that finds the owner's process gone on this host takes the
 * lock over at once.
 */
import { mkdir, readFile, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
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

interface OwnerNote {
  pid: number;
  host: string;
  /** Identity of the lock dir the note is about: a note left by an earlier holder never matches a new dir. */
  dir: string;
}

const ownerFile = (lockPath: string) => `${lockPath}.owner`;

async function dirIdentity(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    return `${s.ino}:${s.birthtimeMs}`;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but is someone else's.
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/**
 * True when the lock at `lockPath` was taken by a process of this host that no longer runs.
 * A lock with no note, or a note about another dir, is a holder that has just taken it: live.
 */
async function heldByTheDead(lockPath: string): Promise<string | undefined> {
  const identity = await dirIdentity(lockPath);
  if (identity === undefined) return undefined;
  let note: OwnerNote;
  try {
    note = JSON.parse(await readFile(ownerFile(lockPath), "utf8")) as OwnerNote;
  } catch {
    return undefined;
  }
  if (note.dir !== identity || note.host !== hostname() || note.pid === process.pid || isAlive(note.pid)) return undefined;
  return identity;
}

/** Removes a dead process's lock dir, unless another waiter replaced it meanwhile. */
async function takeOver(lockPath: string, identity: string): Promise<void> {
  // A rename moves exactly one dir: if two waiters race, only one moves the dead lock, and a
  // waiter that moved a fresh lock instead (someone took it in between) puts it back.
  const tomb = `${lockPath}.${randomBytes(4).toString("hex")}.dead`;
  try {
    await rename(lockPath, tomb);
  } catch {
    return;
  }
  if ((await dirIdentity(tomb)) === identity) await rm(tomb, { recursive: true, force: true });
  else await rename(tomb, lockPath).catch(() => rm(tomb, { recursive: true, force: true }));
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` while holding the lock `lockPath` (a directory created next to what it guards).
 * `dir` must be where `lockPath` lives; it is created if missing.
 */
export async function withLock<T>(dir: string, lockPath: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  let made = false;
  let compromised: Error | undefined;
  let release: (() => Promise<void>) | undefined;
  const retries = options.retries ?? 100;
  for (let attempt = 0; release === undefined; attempt++) {
    try {
      // Keyed by the lock's own path (not `dir`): proper-lockfile tracks held locks per target in
      // the process, and two locks in one dir (the set's, the tracking file's) nest.
      release = await lockfile.lock(lockPath, {
        lockfilePath: lockPath,
        realpath: false,
        stale: options.stale ?? 10_000,
        retries: 0,
        // The default throws from a timer, which would crash the host; note it and fail the write instead.
        onCompromised: (error) => {
          compromised = error;
        },
      });
    } catch (error) {
      // The dir is made when first missing rather than before every lock: one disk wait less.
      if ((error as NodeJS.ErrnoException).code === "ENOENT" && !made) {
        await mkdir(dir, { recursive: true });
        made = true;
        continue;
      }
      if ((error as NodeJS.ErrnoException).code !== "ELOCKED") throw error;
      const dead = await heldByTheDead(lockPath);
      if (dead !== undefined) {
        await takeOver(lockPath, dead);
        continue;
      }
      if (attempt >= retries) throw new LockTimeoutError(`${lockPath} is held`, { cause: error });
      // Short, jittered waits: most critical sections are a read and a rename, a few ms each.
      await pause(Math.min(5 * 1.3 ** attempt, 200) * (0.5 + Math.random()));
    }
  }
  try {
    const identity = await dirIdentity(lockPath);
    if (identity !== undefined) {
      const note: OwnerNote = { pid: process.pid, host: hostname(), dir: identity };
      // Not flushed to disk: the note only matters while its writer may be alive. After a power
      // cut every holder is gone and a lost or empty note reads as "live", so the lock is taken
      // once stale, as without notes. A flush here cost a disk wait on every write of the set.
      // Written in place, not through a temp file and a rename: a reader that catches it half
      // written cannot parse it and takes the lock for live, which it is, so the rename (and
      // write-file-atomic's realpath and stat) bought nothing.
      await writeFile(ownerFile(lockPath), JSON.stringify(note));
    }
    const result = await fn();
    if (compromised) throw compromised;
    return result;
  } finally {
    // The note first: a waiter that finds a lock without one treats it as live, never as dead.
    await unlink(ownerFile(lockPath)).catch(() => undefined);
    // Releasing a compromised lock fails (it is someone else's now); that is not our error to report.
    await release().catch(() => undefined);
  }
}
