/**
 * Adding a plugin record: the one way a source becomes a record, for the admin API and the CLI
 * alike, so both refuse the same sources the same way.
 */
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
  // Syntax only: the policy here allows every kind of source.
  parseSource(source, { allowGit: true, allowRemote: true });
  return store.create({ name: deriveName(source), source });
}
