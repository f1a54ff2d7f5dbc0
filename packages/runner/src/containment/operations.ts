/**
 * The admin API's enable, disable and live status, as a server process offers them: it knows
 * which plugins it runs (the service) and which it set aside (the loaded bundle).
 */
import type { PluginOperations } from "../api/operations";
import type { PluginRecord } from "../store/types";
import type { ReloadOptions, ReloadResult } from "../worker/messages";
import { quarantineError, type LoadedBundle } from "../worker/plugins";
import { readContainment } from "./state";
import { disablePlugin, enablePlugin, packageNamer } from "./toggle";

/** What the containment operations need from the server process. */
export interface ContainmentOperationsContext {
  dataDir: string;
  loaded: Pick<LoadedBundle, "service" | "setAside">;
  /** Reload on the current bundle (rejects with COSMO_E_RELOAD_UNAVAILABLE in --no-cluster mode). */
  requestReload: (options: ReloadOptions) => Promise<ReloadResult>;
}

/** `disable`, `enable` and `describe` for the admin API. */
export function containmentOperations(ctx: ContainmentOperationsContext): Pick<PluginOperations, "disable" | "enable" | "describe"> {
  const reload = async (apply: boolean, reason: string): Promise<ReloadResult | undefined> => {
    if (!apply) return undefined;
    return ctx.requestReload({ reason });
  };
  return {
    disable: async (record, { apply }) => {
      const result = await disablePlugin(ctx.dataDir, record);
      const applied = await reload(apply, `disable ${result.package}`);
      return { ...record, package: result.package, enabled: false, status: "disabled", disabled: { at: result.setAside?.at }, ...(applied ? { apply: applied } : {}) };
    },
    enable: async (record, { apply }) => {
      const result = await enablePlugin(ctx.dataDir, record);
      const applied = await reload(apply, `enable ${result.package}`);
      return { ...record, package: result.package, enabled: true, ...(applied ? { apply: applied } : {}) };
    },
    describe: async (records) => {
      const [state, packageOf] = await Promise.all([readContainment(ctx.dataDir), packageNamer(ctx.dataDir)]);
      const running = new Map(ctx.loaded.service.list().map((info) => [info.source?.packageName ?? info.name, info]));
      return records.map((record: PluginRecord) => {
        const pkg = packageOf(record);
        const aside = Object.hasOwn(state.plugins, pkg) ? state.plugins[pkg] : undefined;
        if (aside?.state === "quarantined") {
          const quarantine = { reason: aside.reason, code: aside.code, at: aside.at, count: aside.count ?? 1 };
          return { ...record, package: pkg, status: "quarantined", error: quarantineError(aside), quarantine };
        }
        if (aside?.state === "disabled") return { ...record, package: pkg, status: "disabled", disabled: { at: aside.at } };
        const info = running.get(pkg);
        if (!info) return record; // not in the bundle this process serves (pending, or not applied yet)
        const status = info.status === "active" || info.status === "failed" ? info.status : info.status;
        return { ...record, package: pkg, status, ...(info.error ? { error: info.error } : {}) };
      });
    },
  };
}
