/** What the admin API answers, as far as the page reads it. Fields other parts may add are optional. */
import type { Conflict } from "./conflicts";

/** A plugin record (`GET /plugins`). */
export interface PluginRecord {
  id: string;
  name: string;
  source: string;
  install_status: string;
  error_message: string | null;
  created_at: string;
  updated_at: string;
  /** The typed conflicts of the last refused install, where the runner keeps them. */
  conflicts?: Conflict[] | null;
  /** The plugin's state in the set, where the runner reports it (disabled, quarantined...). */
  status?: string;
  /** The exact version installed, where the runner pins it. */
  version?: string | null;
  /** The package the record resolved to, where the runner says. */
  package?: string;
  /** The live status's error (a failed setup, a quarantine). */
  error?: { code?: string; message?: string };
  /** Why and since when the plugin is quarantined, where the runner reports it. */
  quarantine?: { reason?: string; at?: string; since?: string; count?: number; code?: string; message?: string } | null;
  [field: string]: unknown;
}

/** A plugin the running worker has registered (`GET /plugins/installed`). */
export interface RunningPlugin {
  name: string;
  version?: string;
  package?: string;
  status: string;
  prefix?: string;
  routes?: { method: string; path: string }[];
  error?: { code?: string; message?: string };
  [field: string]: unknown;
}

/** `GET /plugins/installed`. */
export interface Installed {
  bundle: string | null;
  plugins: RunningPlugin[];
  skipped?: { package?: string; code: string; message: string }[];
}

/** `GET /health`. */
export interface Health {
  status: string;
  version: string;
  bundle?: string | null;
  clean?: boolean;
  store?: string;
  plugins?: Record<string, number>;
  [field: string]: unknown;
}

/** One plugin's newer versions (`GET /plugins/outdated`, where the runner has it). */
export interface Outdated {
  id: string;
  name: string;
  current: string | null;
  /** The newest newer version that fits: what upgrade picks with no version given. */
  fits: string | null;
  newer: { version: string; fits: boolean; conflicts: Conflict[] }[];
  /** Why the plugin was not looked at. */
  skipped: string | null;
}
