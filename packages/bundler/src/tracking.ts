/**
 * The tracking file, `<dataDir>/plugins/installed_plugins.txt`: the plugin sources a host has
 * installed, one a line. People may edit it, so blank lines and `#` comments
 * are kept through every edit. Writes are atomic (temp file + rename, so a reader sees the old
 * file or the new one, never half of one) and serialised between processes by a lock.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createError } from "@cosmo/core";
import writeFileAtomic from "write-file-atomic";
import { LockTimeoutError, withLock, type LockOptions } from "./lock";

/** The tracking file's contents: every line as written, and the sources among them. */
export interface TrackedFile {
  /** Absolute path of the file (it may not exist yet). */
  file: string;
  /** Every line, comments and blanks included, without line endings. */
  lines: string[];
  /** The sources, normalised, in file order. */
  sources: string[];
}

/** Options of the tracking-file writers. */
export interface TrackingOptions {
  /** How long to wait for another process's edit (see LockOptions). */
  lock?: LockOptions;
}

/** Options of {@link writeTrackedSources}. */
export interface WriteTrackedOptions extends TrackingOptions {
  /**
   * Runs beside the file's write, still under the file's lock, with the text being written: a
   * caller that records what it wrote (a digest) need not wait for the file's flush first.
   */
  beside?: (text: string) => Promise<void>;
  /**
   * The caller already is the file's only writer (it holds a lock that every writer of this
   * file takes, as a plugin-set model's set lock): skip the file's own lock, a lock dir and an
   * owner note made and removed on every write.
   */
  serialized?: boolean;
}

/** Path of the tracking file under a data dir. */
export function trackingFile(dataDir: string): string {
  return join(dataDir, "plugins", "installed_plugins.txt");
}

/**
 * The form two sources are compared in: trimmed. Only a `#` at the start of a line makes a
 * comment, since sources may hold one (`git+https://…#v1.2.0`).
 */
export function normalizeSource(source: string): string {
  return source.trim();
}

function isSourceLine(line: string): boolean {
  const t = line.trim();
  return t !== "" && !t.startsWith("#");
}

function parse(file: string, text: string): TrackedFile {
  const lines = text.split(/\r?\n/);
  // A file that ends with a newline splits into a last empty string that is not a line.
  if (lines.at(-1) === "") lines.pop();
  return { file, lines, sources: lines.filter(isSourceLine).map(normalizeSource) };
}

/** Reads and parses the tracking file; a missing file is an empty one. */
export async function readTracked(dataDir: string): Promise<TrackedFile> {
  const file = trackingFile(dataDir);
  try {
    return parse(file, await readFile(file, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { file, lines: [], sources: [] };
    throw error;
  }
}

/** The tracked sources, in file order. */
export async function listTracked(dataDir: string): Promise<string[]> {
  return (await readTracked(dataDir)).sources;
}

function checkSource(source: string): string {
  const normalized = normalizeSource(source);
  if (normalized === "") throw createError("COSMO_E_SPEC_INVALID", { source, reason: "it is empty" });
  if (/[\r\n]/.test(normalized)) throw createError("COSMO_E_SPEC_INVALID", { source, reason: "it spans several lines" });
  if (normalized.startsWith("#")) throw createError("COSMO_E_SPEC_INVALID", { source, reason: "it starts with #, which marks a comment" });
  return normalized;
}

/** Reads, edits and rewrites the file under the lock: the one way this module writes. */
async function edit(
  dataDir: string,
  options: WriteTrackedOptions,
  change: (tracked: TrackedFile) => string[],
): Promise<string[]> {
  const file = trackingFile(dataDir);
  const dir = join(dataDir, "plugins");
  const rewrite = async () => {
    const tracked = await readTracked(dataDir);
    const lines = change(tracked);
    const text = lines.length === 0 ? "" : `${lines.join("\n")}\n`;
    // Both settle before the lock is released, whichever fails first.
    const [written, beside] = await Promise.allSettled([writeFileAtomic(file, text), options.beside?.(text)]);
    if (written.status === "rejected") throw written.reason;
    if (beside.status === "rejected") throw beside.reason;
    return lines.filter(isSourceLine).map(normalizeSource);
  };
  try {
    if (options.serialized) {
      await mkdir(dir, { recursive: true });
      return await rewrite();
    }
    return await withLock(dir, `${file}.lock`, rewrite, options.lock);
  } catch (error) {
    if (error instanceof LockTimeoutError) throw createError("COSMO_E_TRACKING_LOCKED", { file }, { cause: error });
    throw error;
  }
}

/**
 * Appends a source. Throws `COSMO_E_TRACKING_DUPLICATE` if it is already tracked.
 * @returns the sources after the edit
 */
export async function addTracked(dataDir: string, source: string, options: TrackingOptions = {}): Promise<string[]> {
  const normalized = checkSource(source);
  return edit(dataDir, options, ({ file, lines, sources }) => {
    if (sources.includes(normalized)) throw createError("COSMO_E_TRACKING_DUPLICATE", { source: normalized, file });
    return [...lines, normalized];
  });
}

/**
 * Makes the file list exactly `sources`, in that order, keeping the comments and blank lines a
 * person wrote: lines of sources no longer wanted go, wanted sources not yet there are appended.
 * What a plugin-set model writes after each change, so the file stays readable by people.
 * @returns the file's text after the write
 */
export async function writeTrackedSources(dataDir: string, sources: readonly string[], options: WriteTrackedOptions = {}): Promise<string> {
  const wanted = sources.map(checkSource);
  let text = "";
  await edit(dataDir, options, ({ lines }) => {
    const seen = new Set<string>();
    const kept = lines.filter((line) => {
      if (!isSourceLine(line)) return true;
      const source = normalizeSource(line);
      if (!wanted.includes(source) || seen.has(source)) return false;
      seen.add(source);
      return true;
    });
    // Order: the model's, for sources it adds; a line already there keeps its place.
    const next = [...kept, ...wanted.filter((s) => !seen.has(s))];
    text = next.length === 0 ? "" : `${next.join("\n")}\n`;
    return next;
  });
  return text;
}

/**
 * Removes a source (every line that normalises to it). Throws `COSMO_E_TRACKING_NOT_FOUND` if
 * it is not tracked.
 * @returns the sources after the edit
 */
export async function removeTracked(dataDir: string, source: string, options: TrackingOptions = {}): Promise<string[]> {
  const normalized = normalizeSource(source);
  return edit(dataDir, options, ({ file, lines, sources }) => {
    if (!sources.includes(normalized)) throw createError("COSMO_E_TRACKING_NOT_FOUND", { source: normalized, file });
    return lines.filter((line) => !isSourceLine(line) || normalizeSource(line) !== normalized);
  });
}

/**
 * Replaces a source with another in one write: the first line holding any of `previous` takes
 * `next` (so the plugin keeps its place), other lines holding them go. What an upgrade does.
 * Throws `COSMO_E_TRACKING_NOT_FOUND` when none of `previous` is tracked.
 * @returns the sources after the edit
 */
export async function replaceTracked(dataDir: string, previous: readonly string[], next: string, options: TrackingOptions = {}): Promise<string[]> {
  const old = new Set(previous.map(normalizeSource));
  const replacement = checkSource(next);
  return edit(dataDir, options, ({ file, lines, sources }) => {
    if (!sources.some((s) => old.has(s))) throw createError("COSMO_E_TRACKING_NOT_FOUND", { source: [...old].join(", "), file });
    let placed = false;
    const out: string[] = [];
    for (const line of lines) {
      if (!isSourceLine(line) || !old.has(normalizeSource(line))) {
        if (!(isSourceLine(line) && normalizeSource(line) === replacement && !old.has(replacement))) out.push(line);
        continue;
      }
      if (!placed) out.push(replacement);
      placed = true;
    }
    return out;
  });
}
