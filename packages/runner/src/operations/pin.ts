/**
 * Pinning: what a record stands for in the plugin set. A registry source is pinned to the exact
 * version its check chose (`plugin-versions` installed as 1.1.0 is `plugin-versions@1.1.0` in
 * the tracking file and the bundle), so an apply installs what was checked, never a newer
 * release published since; any other source (a tarball, a git URL) is its own pin.
 */
import { parseSource } from "@cosmo/bundler";
import type { PluginRecord } from "../store/types";

/** The package name of a registry source, or undefined for any other kind of source. */
export function registryName(source: string): string | undefined {
  try {
    const parsed = parseSource(source, { allowGit: true, allowRemote: true });
    return parsed.type === "registry" ? parsed.name : undefined;
  } catch {
    return undefined;
  }
}

/** The line a record holds in the set (see the module comment). */
export function setLine(record: Pick<PluginRecord, "source" | "version">): string {
  const name = registryName(record.source);
  return name !== undefined && record.version ? `${name}@${record.version}` : record.source.trim();
}

/** The lines a record may hold in a tracking file written before pinning, or pinned: both forms. */
export function setLines(record: Pick<PluginRecord, "source" | "version">): string[] {
  return [...new Set([setLine(record), record.source.trim()])];
}
