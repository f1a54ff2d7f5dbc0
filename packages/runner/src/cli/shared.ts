/**
 * What every data-dir command of the CLI shares: the common flags, opening the data dir's store
 * and operations, progress lines on stderr, and printing a result as text or as JSON.
 */
import { createError } from "@cosmo/core";
import { createConsola, type ConsolaInstance } from "consola";
import { resolveDataDir } from "../data-dir";
import { absoluteSource } from "../operations/add";
import { createOperationsContext, type OperationsContext } from "../operations/context";
import { sourcePolicyArgs, sourcePolicyFromArgs } from "../operations/source-policy";
import { createPluginStore, resolveStoreUrl } from "../store/create";
import type { PluginRecord, PluginStore } from "../store/types";

/** Flags every data-dir command takes. */
export const commonArgs = {
  "data-dir": { type: "string", description: "Data dir (default: COSMO_DATA_DIR, else ~/.local/share/cosmo)" },
  store: { type: "string", description: "Store URL: memory:, redis://host:port (default: COSMO_STORE, else files in the data dir)" },
  json: { type: "boolean", default: false, description: "Print the result as JSON on stdout (errors as { error } too)" },
  ...sourcePolicyArgs,
} as const;

/** The parsed common flags. */
export interface CommonArgs {
  "data-dir"?: string;
  store?: string;
  json?: boolean;
  "allow-git"?: boolean;
  "allow-remote"?: boolean;
}

/**
 * Progress for long steps: consola lines on stderr, so stdout stays the result alone (a script's
 * `--json | jq` never sees them).
 */
export const progress: ConsolaInstance = createConsola({
  stdout: process.stderr,
  stderr: process.stderr,
  formatOptions: { date: false },
});

/** An open data dir: its store and the operations over it. Close it when done. */
export interface CliContext {
  dataDir: string;
  store: PluginStore;
  ops: OperationsContext;
  json: boolean;
  close(): Promise<void>;
}

/** Opens the store of the data dir the flags name (same defaults as `start`). */
export async function openContext(args: CommonArgs): Promise<CliContext> {
  const dataDir = resolveDataDir({ dataDir: args["data-dir"] });
  const store = await createPluginStore(resolveStoreUrl(args.store), { dataDir });
  return {
    dataDir,
    store,
    ops: createOperationsContext({ dataDir, store, sourcePolicy: sourcePolicyFromArgs(args) }),
    json: Boolean(args.json),
    close: () => store.close(),
  };
}

/** Runs `work` with an open context and closes it whatever happens. */
export async function withContext<T>(args: CommonArgs, work: (ctx: CliContext) => Promise<T>): Promise<T> {
  const ctx = await openContext(args);
  try {
    return await work(ctx);
  } finally {
    await ctx.close().catch(() => {});
  }
}

/** Prints a command's result: `value` as JSON with --json, else the text. */
export function output(ctx: { json: boolean }, value: unknown, text: string | (() => string)): void {
  if (ctx.json) console.log(JSON.stringify(value, null, 2));
  else console.log(typeof text === "function" ? text() : text);
}

/** The source as `plugins add` records it (a local path made absolute), or undefined when npm cannot parse it. */
function recordedSource(arg: string): string | undefined {
  try {
    return absoluteSource(arg);
  } catch {
    return undefined;
  }
}

/**
 * The record an argument names: its id, else its source (exactly as recorded, or as typed at
 * `add`: `./x.tgz` from the same directory names the absolute path recorded), else its name
 * when only one record has it.
 */
export async function findRecord(store: PluginStore, idOrSource: string): Promise<PluginRecord | null> {
  const arg = idOrSource.trim();
  const byId = await store.get(arg);
  if (byId) return byId;
  const bySource = await store.findBySource(arg);
  if (bySource) return bySource;
  const recorded = recordedSource(arg);
  const byTyped = recorded && recorded !== arg ? await store.findBySource(recorded) : null;
  if (byTyped) return byTyped;
  const byName = (await store.list()).filter((r) => r.name === arg);
  return byName.length === 1 ? (byName[0] as PluginRecord) : null;
}

/** Like `findRecord`, but a missing record is COSMO_E_RECORD_NOT_FOUND. */
export async function mustFindRecord(store: PluginStore, idOrSource: string): Promise<PluginRecord> {
  const found = await findRecord(store, idOrSource);
  if (!found) throw createError("COSMO_E_RECORD_NOT_FOUND", { id: idOrSource });
  return found;
}

/** Milliseconds since `startedAt` (a performance.now() value), rounded. */
export const since = (startedAt: number) => Math.round(performance.now() - startedAt);
