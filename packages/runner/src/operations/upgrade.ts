/**
 * Upgrade and downgrade: an installed registry plugin moved to another version in one step. The
 * new version is checked against the runner and the set *without* the old one (a plugin never
 * conflicts with its own previous release), then the set's line is replaced in one write and the
 * record repinned. On a conflict nothing changes: the old version stays installed and the 409
 * explains, with the newer versions passed over and why.
 */
import { parseSource, type SkippedVersion } from "@cosmo/bundler";
import { createError } from "@cosmo/core";
import type { PluginRecord } from "../store/types";
import type { OperationsContext } from "./context";
import { conflictError } from "./install";
import { registryName } from "./pin";
import { changeSet, installedSources } from "./plugin-set";

/** What to upgrade to. */
export interface UpgradeOptions {
  /** A version, range or tag; default: the newest version that fits. */
  version?: string;
}

/** What an upgrade did. */
export interface UpgradeSummary {
  /** The version installed before (null when the record predates pinning). */
  from: string | null;
  to: string;
  /** False when the plugin already was at that version: nothing was written. */
  changed: boolean;
  /** Newer versions the range matched that do not fit, and why. */
  skipped: SkippedVersion[];
}

/**
 * Moves the record's plugin to the newest version matching `options.version` (default: any)
 * that fits; throws COSMO_E_CONFLICT when none does, COSMO_E_UPGRADE_INVALID when the record is
 * not an installed registry plugin or the version is no version, range or tag.
 */
export function upgradePlugin(ctx: OperationsContext, record: PluginRecord, options: UpgradeOptions = {}): Promise<PluginRecord & { upgrade: UpgradeSummary }> {
  return ctx.serial(async () => {
    const current = (await ctx.store.get(record.id)) ?? record;
    const invalid = (reason: string) => createError("COSMO_E_UPGRADE_INVALID", { plugin: current.name, reason });
    if (current.install_status !== "installed") {
      throw invalid(`it is ${current.install_status}, not installed; install it first (cosmo-runner plugins install ${current.id})`);
    }
    const name = registryName(current.source);
    if (name === undefined) {
      throw invalid(`it comes from ${current.source}, not from a registry; uninstall it and install the new tarball or source instead`);
    }
    const wanted = options.version?.trim() || "*";
    const candidate = `${name}@${wanted}`;
    let spec;
    try {
      spec = parseSource(candidate);
    } catch {
      spec = undefined;
    }
    if (spec?.type !== "registry" || spec.name !== name) throw invalid(`"${wanted}" is not a version, range or tag of ${name}`);

    const records = await ctx.store.list();
    const others = installedSources(records.filter((r) => r.id !== current.id));
    const checker = await ctx.checker();
    // "Upgrade" asks about the registry as it is now, not as this process last saw it.
    checker.clearCache();
    const result = await checker.check({ installed: others, candidate });
    if (!result.ok || result.plugin?.version == null) throw conflictError(candidate, result.conflicts, name, result.skipped);
    const to = result.plugin.version;
    const from = current.version;
    if (to === from) return { ...current, upgrade: { from, to, changed: false, skipped: result.skipped } };
    const integrity = result.plugin.integrity;
    // One change of the set: the record is repinned and the tracking file rewritten from it. The
    // set must not have moved meanwhile (another plugin joining could conflict with `to`).
    const updated = await changeSet(ctx, async (lease) => {
      const now = await ctx.store.get(current.id);
      if (now?.install_status !== "installed") throw invalid("it was uninstalled meanwhile");
      const moved = installedSources((await ctx.store.list()).filter((r) => r.id !== current.id));
      if (moved.join("\n") !== others.join("\n")) {
        const again = await checker.check({ installed: moved, candidate: `${name}@${to}` });
        if (!again.ok) throw conflictError(`${name}@${to}`, again.conflicts, name, []);
      }
      return ctx.store.update(current.id, { name, version: to, integrity, error_message: null, conflicts: null }, lease);
    });
    return { ...updated, upgrade: { from, to, changed: true, skipped: result.skipped } };
  });
}
