/**
 * Enable and disable, by record: a disabled plugin stays tracked and bundled but no worker loads
 * it; enabling lifts a quarantine too. The containment file is keyed by package name, and a
 * record only knows its source, so the current bundle's manifest (package name -> spec) says
 * which package a source became.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { currentBundle } from "@cosmo/bundler";
import type { PluginRecord } from "../store/types";
import { readContainment, updateContainment, type SetAside } from "./state";

// What a source looks like as a spec in the bundled manifest: a path becomes file:<abs path>.
const specMatches = (spec: string, source: string): boolean =>
  spec === source || spec === `file:${source}` || spec.endsWith(`@${source}`) || (source.startsWith("/") && spec.endsWith(source));

/**
 * Reads the current bundle's manifest once and returns what names a record's package: a
 * listing describes every record with one read (one per record, 20 listings of 300 records at
 * once opened thousands of files, and a worker at its fd limit loses the connections the
 * cluster primary hands it: they hang).
 */
export async function packageNamer(dataDir: string): Promise<(record: Pick<PluginRecord, "name" | "source">) => string> {
  let dependencies: [string, string][] = [];
  try {
    const bundle = await currentBundle(dataDir);
    const manifest = JSON.parse(await readFile(join(bundle, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    dependencies = Object.entries(manifest.dependencies ?? {});
  } catch {
    // no bundle yet: the record's name (the npm package name of a registry spec) is the best guess
  }
  return (record) => dependencies.find(([, spec]) => specMatches(spec, record.source))?.[0] ?? record.name;
}

/** The package name a record's source was bundled as; the record's name when no bundle says. */
export async function packageOfRecord(dataDir: string, record: Pick<PluginRecord, "name" | "source">): Promise<string> {
  return (await packageNamer(dataDir))(record);
}

/** What enable/disable answer: the record, its package and where it stands now. */
export interface ToggleResult {
  package: string;
  /** The entry left in the containment file (undefined after enable: nothing set aside). */
  setAside?: SetAside;
  enabled: boolean;
}

/** Disables a record's plugin (kept across restarts; a quarantine becomes a disable). */
export async function disablePlugin(dataDir: string, record: PluginRecord): Promise<ToggleResult> {
  const pkg = await packageOfRecord(dataDir, record);
  const state = await updateContainment(dataDir, (s) => {
    s.plugins[pkg] = { state: "disabled", package: pkg, source: record.source, reason: "disabled by a user", at: new Date().toISOString() };
  });
  return { package: pkg, setAside: state.plugins[pkg], enabled: false };
}

/** Enables a record's plugin: lifts a disable or a quarantine. */
export async function enablePlugin(dataDir: string, record: PluginRecord): Promise<ToggleResult> {
  const pkg = await packageOfRecord(dataDir, record);
  await updateContainment(dataDir, (s) => {
    delete s.plugins[pkg];
  });
  return { package: pkg, enabled: true };
}

/** The containment entry of a record's plugin, if it is set aside. */
export async function setAsideOfRecord(dataDir: string, record: PluginRecord): Promise<SetAside | undefined> {
  const [pkg, state] = await Promise.all([packageOfRecord(dataDir, record), readContainment(dataDir)]);
  return Object.hasOwn(state.plugins, pkg) ? state.plugins[pkg] : undefined;
}
