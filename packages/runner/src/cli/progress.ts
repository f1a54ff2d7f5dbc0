/**
 * Phases and package counts for the CLI's long steps (apply, sync, install): consola lines on
 * stderr, so stdout stays the result. While npm fetches, a terminal sees the count of packages
 * fetched so far (from the `http fetch` records npm's libraries emit on `process`); every output
 * gets the counts of the finished bundle, read from its lockfile.
 */
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { progress, since } from "./shared";

/** What a bundle holds compared with the one it replaced. */
export interface PackageCounts {
  total: number;
  added: number;
  removed: number;
  changed: number;
}

/** name@version of every package a lockfile installs (`packages` keys but the root). */
async function lockedPackages(lockfile: string): Promise<Map<string, string> | undefined> {
  try {
    const lock = JSON.parse(await readFile(lockfile, "utf8")) as { packages?: Record<string, { version?: string }> };
    return new Map(Object.entries(lock.packages ?? {}).filter(([path]) => path !== "").map(([path, p]) => [path, p.version ?? ""]));
  } catch {
    return undefined;
  }
}

/** Counts the packages of a bundle's lockfile, and what changed since the previous bundle (an id beside it). */
export async function packageCounts(lockfile: string, previous: string | null | undefined): Promise<PackageCounts | undefined> {
  const now = await lockedPackages(lockfile);
  if (!now) return undefined;
  const before = previous ? ((await lockedPackages(join(dirname(dirname(lockfile)), previous, "package-lock.json"))) ?? new Map<string, string>()) : new Map<string, string>();
  let added = 0;
  let changed = 0;
  for (const [path, version] of now) {
    if (!before.has(path)) added++;
    else if (before.get(path) !== version) changed++;
  }
  const removed = [...before.keys()].filter((path) => !now.has(path)).length;
  return { total: now.size, added, removed, changed };
}

/** "96 packages (12 added, 3 removed, 1 changed)". */
export function describeCounts(counts: PackageCounts | undefined): string {
  if (!counts) return "";
  const parts = [counts.added && `${counts.added} added`, counts.removed && `${counts.removed} removed`, counts.changed && `${counts.changed} changed`].filter(Boolean);
  return `${counts.total} package${counts.total === 1 ? "" : "s"}${parts.length ? ` (${parts.join(", ")})` : " (none changed)"}`;
}

/**
 * Runs one phase: "label..." when it starts, `done(result)` with its time when it ends. With
 * `fetches`, a terminal also sees how many packages npm has fetched so far.
 */
export async function phase<T>(label: string, work: () => Promise<T>, done: (result: T) => string | Promise<string>, options: { fetches?: boolean } = {}): Promise<T> {
  const startedAt = performance.now();
  progress.start(`${label}...`);
  const stopCounting = options.fetches && process.stderr.isTTY ? countFetches(label) : undefined;
  try {
    const result = await work();
    stopCounting?.();
    progress.success(`${await done(result)} (${since(startedAt)} ms)`);
    return result;
  } catch (error) {
    stopCounting?.();
    throw error;
  }
}

/** Rewrites one stderr line with the packages fetched so far; returns how to stop. */
function countFetches(label: string): () => void {
  let fetched = 0;
  // npm's libraries (npm-registry-fetch, pacote) report each request as process.emit("log", "http", "fetch", ...).
  const onLog = (level: unknown, kind: unknown) => {
    if (level === "http" && kind === "fetch") fetched++;
  };
  process.on("log" as never, onLog as never);
  let shown = "";
  const timer = setInterval(() => {
    const line = `  ${label}: ${fetched} package${fetched === 1 ? "" : "s"} fetched`;
    if (fetched > 0 && line !== shown) process.stderr.write(`\r\x1b[K${(shown = line)}`);
  }, 250);
  return () => {
    clearInterval(timer);
    process.off("log" as never, onLog as never);
    if (shown) process.stderr.write("\r\x1b[K");
  };
}
