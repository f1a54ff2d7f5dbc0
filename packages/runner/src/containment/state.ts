/**
 * The plugins set aside on one data dir: disabled by a user, or quarantined by the supervisor
 * after a fault. Kept in `<dataDir>/plugins/containment.json` (not in the records: it is about
 * packages in the bundle, which a record only names by source), so it survives restarts and
 * every worker reads it before loading. Written atomically under an inter-process lock: the
 * supervisor (quarantine), a worker or the CLI (enable/disable) may write it.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import writeFileAtomic from "write-file-atomic";

/** Why a package is not loaded. */
export type SetAsideState = "disabled" | "quarantined";

/** One package set aside. */
export interface SetAside {
  state: SetAsideState;
  /** The package name in the bundle (the key too). */
  package: string;
  /** The plugin's name (cosmo.json), when known. */
  plugin?: string;
  /** The record source it came from, when set through a record. */
  source?: string;
  /** Why: the fault for a quarantine ("called process.exit(1)"), the user's action for a disable. */
  reason: string;
  /** The coded error of the fault (quarantine). */
  code?: string;
  /** When it was set aside (ISO). */
  at: string;
  /** Faults attributed to it (quarantine). */
  count?: number;
}

/** The whole file. */
export interface ContainmentState {
  version: 1;
  plugins: Record<string, SetAside>;
}

/** The file's path for a data dir. */
export function containmentFile(dataDir: string): string {
  return join(dataDir, "plugins", "containment.json");
}

/** Reads the state; a missing or unreadable file is an empty state (nothing set aside). */
export async function readContainment(dataDir: string): Promise<ContainmentState> {
  try {
    const parsed = JSON.parse(await readFile(containmentFile(dataDir), "utf8")) as Partial<ContainmentState>;
    const plugins: Record<string, SetAside> = {};
    for (const [key, value] of Object.entries(parsed.plugins ?? {})) {
      // Own, well-formed entries only: a hand-edited file must not smuggle in "__proto__".
      if (key === "__proto__" || typeof value !== "object" || value === null) continue;
      if (value.state !== "disabled" && value.state !== "quarantined") continue;
      plugins[key] = { ...value, package: key };
    }
    return { version: 1, plugins };
  } catch {
    return { version: 1, plugins: {} };
  }
}

/** Changes the state under the lock and writes it atomically; resolves to the new state. */
export async function updateContainment(dataDir: string, change: (state: ContainmentState) => void): Promise<ContainmentState> {
  const file = containmentFile(dataDir);
  await mkdir(join(dataDir, "plugins"), { recursive: true });
  const release = await lockfile.lock(join(dataDir, "plugins"), {
    lockfilePath: `${file}.lock`,
    stale: 10_000,
    retries: { retries: 50, factor: 1.3, minTimeout: 5, maxTimeout: 200, randomize: true },
    onCompromised: () => {}, // a lost lock only risks one lost update of this small file, never a torn one
  });
  try {
    const state = await readContainment(dataDir);
    change(state);
    await writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`);
    return state;
  } finally {
    await release().catch(() => {});
  }
}

/** Quarantines a package (or counts one more fault against an already quarantined one). */
export function quarantine(dataDir: string, entry: { package: string; plugin?: string; reason: string; code?: string }): Promise<ContainmentState> {
  return updateContainment(dataDir, (state) => {
    const previous = state.plugins[entry.package];
    // A user's disable stands: the plugin is not loaded either way.
    if (previous?.state === "disabled") return;
    state.plugins[entry.package] = {
      state: "quarantined",
      package: entry.package,
      ...(entry.plugin ? { plugin: entry.plugin } : {}),
      reason: entry.reason,
      ...(entry.code ? { code: entry.code } : {}),
      at: new Date().toISOString(),
      count: (previous?.count ?? 0) + 1,
    };
  });
}
