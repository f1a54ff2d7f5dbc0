/**
 * Adding a plugin record: the one way a source becomes a record, for the admin API and the CLI
 * alike, so both refuse the same sources the same way.
 */
import { isAbsolute } from "node:path";
import { parseSource } from "@cosmo/bundler";
import { deriveName } from "../source-name";
import type { PluginRecord, PluginStore } from "../store/types";

/**
 * Records `source` as a pending plugin. A source npm cannot parse, or one starting with "-",
 * throws COSMO_E_SPEC_INVALID and records nothing; a source already recorded throws
 * COSMO_E_RECORD_DUPLICATE. Whether a valid source may be used (git, remote) is the check's call
 * at install, where it is a conflict like any other.
 */
export function addPluginRecord(store: PluginStore, source: string): Promise<PluginRecord> {
  const absolute = absoluteSource(source);
  return store.create({ name: deriveName(absolute), source: absolute });
}

/**
 * The source with a local path (tarball or directory, however npm spells it: `./x.tgz`,
 * `x.tgz`, `file:../dir`) made absolute against `where`: the record and the tracking file are read
 * later by other processes (a runner, a worker) whose working directory is not the caller's.
 * Other sources come back trimmed. Throws COSMO_E_SPEC_INVALID for a source npm cannot parse.
 */
export function absoluteSource(source: string, where: string = process.cwd()): string {
  const text = source.trim();
  // Syntax only: the policy here allows every kind of source (the check judges that at install).
  const parsed = parseSource(text, { allowGit: true, allowRemote: true, where });
  if (parsed.type !== "tarball" && parsed.type !== "directory") return text;
  const prefix = text.startsWith("file:") ? "file:" : "";
  if (isAbsolute(text.slice(prefix.length))) return text;
  return `${prefix}${parsed.spec.slice("file:".length)}`;
}
