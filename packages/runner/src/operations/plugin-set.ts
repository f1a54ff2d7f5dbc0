/**
 * The plugin set: one model, one writer. The records in the store ARE the set (a record
 * `installed` is in it); every change runs inside the store's set lock, bumps the set's version
 * and then rewrites this data dir's tracking file (`installed_plugins.txt`) from the model, so
 * people and older tools can still read it. A change is written to the records first: a process
 * killed before the file is rewritten leaves a stale file, which `reconcileSet` repairs at start.
 *
 * With a store of its own (files in the data dir) a person may still edit the tracking file by
 * hand: the file's digest after each write is kept, and a file that no longer matches it is
 * adopted into the model at the next start (lines added become installed records, lines removed
 * uninstall theirs). On a shared store (redis) the file is only a view of the shared set.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { readTracked, trackingFile, writeTrackedSources } from "@cosmo/bundler";
import { deriveName } from "../source-name";
import type { SetLease } from "../store/set-lock";
import type { PluginRecord } from "../store/types";
import type { OperationsContext } from "./context";
import { setLine, setLines } from "./pin";

/** The set's version: grows by one with every change, so a check can tell the set moved under it. */
export interface SetVersion {
  version: number;
}

/** The sources in the set: the installed records' lines (registry sources pinned, see pin.ts), oldest record first. */
export function installedSources(records: readonly PluginRecord[]): string[] {
  return records.filter((r) => r.install_status === "installed").map(setLine);
}

/** The set's version now (0 for a set never changed). */
export async function setVersion(ctx: OperationsContext): Promise<number> {
  return (await ctx.store.getMeta<SetVersion>("set"))?.version ?? 0;
}

const digest = (text: string) => createHash("sha256").update(text).digest("hex");
// Per data dir: runners sharing a redis each have their own tracking file.
const trackingMeta = (ctx: OperationsContext) => `tracking:${digest(ctx.dataDir).slice(0, 16)}`;

/**
 * What the runner last wrote to the tracking file: its digest, and the digest of the text it
 * replaced. Both are "ours": the note and the file are written at once (see below), so after a
 * crash between the two flushes the file may still hold the text before; that is no hand edit.
 */
interface TrackingDigest {
  sha256: string;
  previous?: string;
}

/** Rewrites the tracking file from the model and remembers what it wrote. Call with the lease. */
export async function writeTrackingFromModel(ctx: OperationsContext, lease: SetLease, records?: readonly PluginRecord[]): Promise<void> {
  const [sources, before] = await Promise.all([
    records ? installedSources(records) : ctx.store.list().then(installedSources),
    ctx.store.getMeta<TrackingDigest>(trackingMeta(ctx)),
  ]);
  // The note is written beside the file rather than after it: one disk flush to wait for, not two.
  // Every writer of the file holds the set lock (this function takes the lease), so the file's
  // own lock would only add a lock dir and an owner note to each write.
  await writeTrackedSources(ctx.dataDir, sources, {
    serialized: true,
    beside: (text) => ctx.store.setMeta(trackingMeta(ctx), { sha256: digest(text), ...(before ? { previous: before.sha256 } : {}) } satisfies TrackingDigest, lease),
  });
}

/**
 * Runs `change` as the set's one writer: under the set lock, then the version bump and the
 * tracking file rewrite. What `change` returns is passed through.
 */
export function changeSet<T>(ctx: OperationsContext, change: (lease: SetLease) => Promise<T>): Promise<T> {
  return ctx.store.withSetLock(async (lease) => {
    const result = await change(lease);
    // The version bump and the tracking file need not wait for each other: both writes (each
    // flushed before its rename, as ever) are in flight at once, so the disk's two flushes
    // overlap. Only after `change`: it may read the version to tell whether the set moved.
    await Promise.all([
      setVersion(ctx).then((version) => ctx.store.setMeta("set", { version: version + 1 } satisfies SetVersion, lease)),
      writeTrackingFromModel(ctx, lease),
    ]);
    return result;
  });
}

/**
 * True when the tracking file is the one last written from the model and lists the model's
 * sources: nothing to adopt or repair. Read without the set lock: every start of a worker asks,
 * and a reload starts one in the middle of an apply, which then waited for this worker's lock
 * (and the file's rewrite and flush) before it could publish its generation. A state seen
 * mid-change (another writer between its two flushes) does not agree, and is settled under the
 * lock as before.
 */
async function inAgreement(ctx: OperationsContext): Promise<boolean> {
  const [tracked, written, records] = await Promise.all([readTracked(ctx.dataDir), ctx.store.getMeta<TrackingDigest>(trackingMeta(ctx)), ctx.store.list()]);
  // The text as the runner writes it (writeTrackedSources): its lines, each ended by a newline.
  const text = tracked.lines.length === 0 ? "" : `${tracked.lines.join("\n")}\n`;
  if (written === null || written.sha256 !== digest(text)) return false;
  const model = installedSources(records);
  const inFile = new Set(tracked.sources);
  return inFile.size === tracked.sources.length && inFile.size === model.length && model.every((source) => inFile.has(source));
}

/** What `reconcileSet` changed. */
export interface Reconciled {
  /** Sources found in a hand-edited tracking file and made installed. */
  adopted: string[];
  /** Sources whose line was removed by hand, now pending. */
  dropped: string[];
}

/**
 * Brings the model and the tracking file together at start: a file edited by hand (store of
 * the data dir's own) is adopted, then the file is rewritten from the model, which repairs a
 * process killed between a record's write and the file's.
 */
export async function reconcileSet(ctx: OperationsContext): Promise<Reconciled> {
  if (await inAgreement(ctx)) return { adopted: [], dropped: [] };
  return ctx.store.withSetLock(async (lease) => {
    const adopted: string[] = [];
    const dropped: string[] = [];
    let records = await ctx.store.list();
    if (!ctx.store.shared) {
      const text = await readFile(trackingFile(ctx.dataDir), "utf8").catch(() => "");
      const written = await ctx.store.getMeta<TrackingDigest>(trackingMeta(ctx));
      const ours = written !== null && (written.sha256 === digest(text) || written.previous === digest(text));
      if (!ours && !(written === null && text === "")) {
        const inFile = (await readTracked(ctx.dataDir)).sources;
        for (const source of inFile) {
          // A line is a record's pinned line (name@version) or, written by hand, its source.
          const record = records.find((r) => setLines(r).includes(source));
          if (record?.install_status === "installed") continue;
          if (record) await ctx.store.update(record.id, { install_status: "installed", error_message: null }, lease);
          else await ctx.store.create({ name: deriveName(source), source }, lease).then((r) => ctx.store.update(r.id, { install_status: "installed" }, lease));
          adopted.push(source);
        }
        for (const record of records) {
          if (record.install_status !== "installed" || setLines(record).some((line) => inFile.includes(line))) continue;
          await ctx.store.update(record.id, { install_status: "pending", error_message: null }, lease);
          dropped.push(record.source);
        }
        if (adopted.length > 0 || dropped.length > 0) {
          records = await ctx.store.list();
          await ctx.store.setMeta("set", { version: (await setVersion(ctx)) + 1 } satisfies SetVersion, lease);
        }
      }
    }
    await writeTrackingFromModel(ctx, lease, records);
    return { adopted, dropped };
  });
}
