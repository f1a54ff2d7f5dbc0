/**
 * `cosmo-runner plugins add|list|remove|install|uninstall|upgrade|outdated`: the admin API's record and RPC
 * operations. When a runner serves the data dir (runner.json), every command that changes the
 * plugin set goes through its admin API: one npm config, one lock, one answer for the CLI and the
 * API. With none, they run on the data dir directly (under the same set lock). `--apply` on
 * install and uninstall then applies as `cosmo-runner apply` does.
 */
import { createError, isCosmoError } from "@cosmo/core";
import { defineCommand } from "citty";
import { installPlugin, removePlugin, uninstallPlugin } from "../../operations/install";
import { conflictMessage, renderSkipped } from "@cosmo/bundler";
import { outdatedPlugins } from "../../operations/outdated";
import { upgradePlugin } from "../../operations/upgrade";
import { absoluteSource, addPluginRecord } from "../../operations/add";
import { readContainment, type ContainmentState } from "../../containment/state";
import { disablePlugin, enablePlugin, packageOfRecord } from "../../containment/toggle";
import type { PluginRecord } from "../../store/types";
import { connectRunner, type RunnerConnection } from "../runner-client";
import { unservedReasons } from "../../operations/served";
import { commonArgs, findRecord, mustFindRecord, output, progress, since, withContext, type CliContext } from "../shared";
import { applyNow, describeApply } from "./apply";

const target = { type: "positional", required: true, description: "The plugin's record id, or its source" } as const;
const applyArg = { type: "boolean", default: false, description: "Then apply: bundle, install and serve (a running runner reloads)" } as const;

/** A record as `list` shows it; `status` is the live one when a runner answered, else what the data dir says. */
type Listed = PluginRecord & { status?: string; quarantine?: { reason: string; at: string; count: number }; error?: { message: string } };

function line(r: Listed & { not_served?: string }): string {
  const error = r.error_message ? `\n    ${r.error_message.split("\n")[0]}` : "";
  const status = r.status ? `  ${r.status}` : "";
  const why = r.quarantine
    ? `\n    quarantined ${r.quarantine.count} time(s), last ${r.quarantine.at}: ${r.quarantine.reason}`
    : r.status === "failed" && r.error
      ? `\n    ${r.error.message.split("\n")[0]}`
      : "";
  const unserved = r.not_served ? `\n    not served: ${r.not_served}` : "";
  return `${r.id}  ${r.install_status.padEnd(9)}${status}  ${r.name}${r.version ? `@${r.version}` : ""}  (${r.source})${error}${why}${unserved}`;
}

/** Records with the status the data dir stores (disabled, quarantined) when no runner can say more. */
async function withStoredStatus(dataDir: string, records: PluginRecord[], state: ContainmentState): Promise<Listed[]> {
  return Promise.all(
    records.map(async (record) => {
      const pkg = await packageOfRecord(dataDir, record);
      const aside = Object.hasOwn(state.plugins, pkg) ? state.plugins[pkg] : undefined;
      if (!aside) return record;
      const quarantine = aside.state === "quarantined" ? { reason: aside.reason, at: aside.at, count: aside.count ?? 1 } : undefined;
      return { ...record, package: pkg, status: aside.state, ...(quarantine ? { quarantine } : {}) };
    }),
  );
}

/**
 * The record an argument names, asked of the running runner: its id, else its exact source
 * (as given or made absolute), else its name when only one has it.
 */
async function findThrough(runner: RunnerConnection, arg: string): Promise<PluginRecord | null> {
  const text = arg.trim();
  const byId = await runner.getPlugin(text).catch(() => null);
  if (byId) return byId as PluginRecord;
  const { plugins } = (await runner.listPlugins()) as { plugins: PluginRecord[] };
  let absolute: string | undefined;
  try {
    absolute = absoluteSource(text);
  } catch {
    absolute = undefined;
  }
  const bySource = plugins.find((p) => p.source === text || p.source === absolute);
  if (bySource) return bySource;
  const byName = plugins.filter((p) => p.name === text);
  return byName.length === 1 ? (byName[0] as PluginRecord) : null;
}

async function mustFindThrough(runner: RunnerConnection, arg: string): Promise<PluginRecord> {
  const found = await findThrough(runner, arg);
  if (!found) throw createError("COSMO_E_RECORD_NOT_FOUND", { id: arg });
  return found;
}

/** install/uninstall through the running runner: its check, its lock, its reload. */
async function rpcThrough(ctx: CliContext, runner: RunnerConnection, record: PluginRecord, action: "install" | "uninstall", apply: boolean) {
  const startedAt = performance.now();
  progress.start(`${action === "install" ? "Checking" : "Uninstalling"} ${record.source} through the runner at ${runner.info.url}...`);
  const result = (action === "install" ? await runner.installPlugin(record.id, { apply }) : await runner.uninstallPlugin(record.id, { apply })) as PluginRecord & {
    apply?: unknown;
  };
  progress.success(`${action === "install" ? "Installed" : "Uninstalled"} ${result.name} (${since(startedAt)} ms)`);
  const next = action === "install" ? "serve it" : "stop serving it";
  // The same shape as an apply the CLI asked for itself (CliApplyResult), for scripts.
  const value = result.apply === undefined ? result : { ...result, apply: { via: "runner", url: runner.info.url, result: result.apply, took_ms: since(startedAt) } };
  output(ctx, value, () =>
    [`${result.name} is ${result.install_status}.`, result.apply ? `Applied: the runner at ${runner.info.url} serves the new bundle.` : `Run \`cosmo-runner apply\` to ${next}.`].join("\n"),
  );
}

async function rpc(ctx: CliContext, record: PluginRecord, action: "install" | "uninstall", apply: boolean) {
  const startedAt = performance.now();
  progress.start(action === "install" ? `Checking ${record.source} for conflicts...` : `Uninstalling ${record.source}...`);
  const updated = action === "install" ? await installPlugin(ctx.ops, record) : await uninstallPlugin(ctx.ops, record);
  progress.success(`${action === "install" ? "Installed" : "Uninstalled"} ${updated.name} (${since(startedAt)} ms)`);
  const applied = apply ? await applyNow(ctx) : undefined;
  const next = action === "install" ? "serve it" : "stop serving it";
  output(ctx, applied ? { ...updated, apply: applied } : updated, () =>
    [`${updated.name} is ${updated.install_status}.`, applied ? describeApply(applied) : `Run \`cosmo-runner apply\` to ${next}.`].join("\n"),
  );
}

const add = defineCommand({
  meta: { name: "add", description: "Add a plugin record (pending) for a source." },
  args: { source: { type: "positional", required: true, description: "npm spec (name, name@range), tarball path or URL" }, ...commonArgs },
  run: ({ args }) =>
    withContext(args, async (ctx) => {
      const runner = await connectRunner(ctx.dataDir);
      const record = runner
        ? ((await runner.addPlugin(absoluteSource(String(args.source)))) as PluginRecord)
        : await addPluginRecord(ctx.store, String(args.source));
      output(ctx, record, `Added ${record.name} (${record.id}), pending.\nNext: cosmo-runner plugins install ${record.id}`);
    }),
});

const list = defineCommand({
  meta: { name: "list", description: "List the plugin records with their install status." },
  args: { ...commonArgs },
  run: ({ args }) =>
    withContext(args, async (ctx) => {
      // A running runner knows the live status (active, failed); else the data dir's (disabled, quarantined).
      const runner = await connectRunner(ctx.dataDir).catch(() => undefined);
      const live = runner ? await runner.listPlugins().catch(() => undefined) : undefined;
      const listed: Listed[] = live
        ? (live.plugins as Listed[])
        : await withStoredStatus(ctx.dataDir, await ctx.store.list(), await readContainment(ctx.dataDir));
      // An installed plugin nobody serves (apply not run yet, a failed sync, a runner behind the
      // fleet) is said so, with why.
      const reasons = await unservedReasons(ctx.dataDir, listed, runner).catch(() => new Map<string, string>());
      const plugins = listed.map((p) => (reasons.has(p.id) ? { ...p, served: false, not_served: reasons.get(p.id) } : p));
      output(ctx, { plugins }, () => (plugins.length === 0 ? "No plugins. Add one: cosmo-runner plugins add <source>" : plugins.map(line).join("\n")));
    }),
});

const remove = defineCommand({
  meta: { name: "remove", description: "Delete a plugin record (uninstalling it first)." },
  args: { target, ...commonArgs },
  run: ({ args }) =>
    withContext(args, async (ctx) => {
      const runner = await connectRunner(ctx.dataDir);
      const record = runner ? await mustFindThrough(runner, String(args.target)) : await mustFindRecord(ctx.store, String(args.target));
      if (runner) await runner.removePlugin(record.id);
      else await removePlugin(ctx.ops, record);
      const wasInstalled = record.install_status === "installed";
      output(ctx, { removed: record }, `Removed ${record.name} (${record.id}).${wasInstalled ? "\nRun `cosmo-runner apply` to stop serving it." : ""}`);
    }),
});

const install = defineCommand({
  meta: { name: "install", description: "Check a plugin for conflicts and track it (a source with no record gets one)." },
  args: { target, apply: applyArg, ...commonArgs },
  run: ({ args }) =>
    withContext(args, async (ctx) => {
      const arg = String(args.target);
      const runner = await connectRunner(ctx.dataDir);
      if (runner) {
        let found = await findThrough(runner, arg);
        if (!found) {
          try {
            found = (await runner.addPlugin(absoluteSource(arg))) as PluginRecord;
          } catch (error) {
            // Added meanwhile by someone else: use theirs.
            if (!(isCosmoError(error) && error.code === "COSMO_E_RECORD_DUPLICATE")) throw error;
            found = await mustFindThrough(runner, arg);
          }
        }
        return rpcThrough(ctx, runner, found, "install", Boolean(args.apply));
      }
      let record = await findRecord(ctx.store, arg);
      if (!record) {
        const source = absoluteSource(arg);
        record = (await ctx.store.findBySource(source)) ?? (await addPluginRecord(ctx.store, source));
      }
      await rpc(ctx, record, "install", Boolean(args.apply));
    }),
});

const uninstall = defineCommand({
  meta: { name: "uninstall", description: "Stop tracking a plugin (its record goes back to pending)." },
  args: { target, apply: applyArg, ...commonArgs },
  run: ({ args }) =>
    withContext(args, async (ctx) => {
      const runner = await connectRunner(ctx.dataDir);
      if (runner) return rpcThrough(ctx, runner, await mustFindThrough(runner, String(args.target)), "uninstall", Boolean(args.apply));
      return rpc(ctx, await mustFindRecord(ctx.store, String(args.target)), "uninstall", Boolean(args.apply));
    }),
});

/** Enable or disable through the running runner (which reloads with --apply), else in the data dir. */
async function toggle(ctx: CliContext, target: string, enable: boolean, apply: boolean) {
  const record = await mustFindRecord(ctx.store, target);
  const runner = await connectRunner(ctx.dataDir);
  const verb = enable ? "Enabled" : "Disabled";
  if (runner) {
    const result = enable ? await runner.enablePlugin(record.id, { apply }) : await runner.disablePlugin(record.id, { apply });
    const next = apply ? "The runner reloaded." : "Run `cosmo-runner apply` or reload the runner for it to take effect.";
    return output(ctx, result, `${verb} ${record.name}. ${next}`);
  }
  const result = enable ? await enablePlugin(ctx.dataDir, record) : await disablePlugin(ctx.dataDir, record);
  output(ctx, { ...record, ...result }, `${verb} ${record.name} (${result.package}). No runner is serving this data dir: the next \`cosmo-runner start\` ${enable ? "loads" : "skips"} it.`);
}

const disable = defineCommand({
  meta: { name: "disable", description: "Stop loading a plugin; it stays tracked and bundled (kept across restarts)." },
  args: { target, apply: { type: "boolean", default: false, description: "Reload the running runner now" } as const, ...commonArgs },
  run: ({ args }) => withContext(args, (ctx) => toggle(ctx, String(args.target), false, Boolean(args.apply))),
});

const enable = defineCommand({
  meta: { name: "enable", description: "Load a disabled or quarantined plugin again." },
  args: { target, apply: { type: "boolean", default: false, description: "Reload the running runner now" } as const, ...commonArgs },
  run: ({ args }) => withContext(args, (ctx) => toggle(ctx, String(args.target), true, Boolean(args.apply))),
});

const upgrade = defineCommand({
  meta: {
    name: "upgrade",
    description: "Move an installed plugin to another version (default: the newest that fits), checked without its old version; nothing changes on a conflict.",
  },
  args: {
    target,
    version: { type: "positional", required: false, description: "A version, range or tag (default: the newest version that fits)" },
    apply: applyArg,
    ...commonArgs,
  },
  run: ({ args }) =>
    withContext(args, async (ctx) => {
      const runner = await connectRunner(ctx.dataDir);
      const record = runner ? await mustFindThrough(runner, String(args.target)) : await mustFindRecord(ctx.store, String(args.target));
      const version = args.version === undefined ? undefined : String(args.version);
      const startedAt = performance.now();
      progress.start(`Checking ${record.name}${version ? `@${version}` : ""} against the runner and the other plugins${runner ? ` through the runner at ${runner.info.url}` : ""}...`);
      // Through a running runner: its npm config and lock, and its apply (which publishes the generation).
      const updated = runner
        ? ((await runner.upgradePlugin(record.id, { ...(version ? { version } : {}), ...(args.apply ? { apply: true } : {}) })) as Awaited<ReturnType<typeof upgradePlugin>> & { apply?: unknown })
        : ((await upgradePlugin(ctx.ops, record, { version })) as Awaited<ReturnType<typeof upgradePlugin>> & { apply?: unknown });
      const { from, to, changed, skipped } = updated.upgrade;
      progress.success(changed ? `${updated.name} ${from ?? "?"} -> ${to} (${since(startedAt)} ms)` : `${updated.name} is already at ${to}`);
      const applied = runner ? undefined : args.apply && changed ? await applyNow(ctx) : undefined;
      const viaRunner = runner && updated.apply !== undefined ? { via: "runner", url: runner.info.url, result: updated.apply, took_ms: since(startedAt) } : undefined;
      const value = applied ? { ...updated, apply: applied } : viaRunner ? { ...updated, apply: viaRunner } : updated;
      output(ctx, value, () => {
        const lines = [changed ? `${updated.name} now pinned to ${to} (was ${from ?? "unpinned"}).` : `${updated.name} stays at ${to}: it is the newest version that fits.`];
        const passed = renderSkipped(updated.name, skipped);
        if (passed !== "") lines.push(passed);
        if (changed) {
          lines.push(applied ? describeApply(applied) : viaRunner ? `Applied: the runner at ${runner!.info.url} serves the new bundle.` : "Run `cosmo-runner apply` to serve it.");
        }
        return lines.join("\n");
      });
    }),
});

const outdated = defineCommand({
  meta: { name: "outdated", description: "List each installed plugin's newer versions: those that fit, and why the others do not." },
  args: { ...commonArgs },
  run: ({ args }) =>
    withContext(args, async (ctx) => {
      const startedAt = performance.now();
      // A running runner asks with its own npm config (the one its installs use).
      const runner = await connectRunner(ctx.dataDir);
      progress.start(runner ? `Asking the registry for newer versions through the runner at ${runner.info.url}...` : "Asking the registry for newer versions...");
      const result = runner ? ((await runner.outdatedPlugins()) as Awaited<ReturnType<typeof outdatedPlugins>>) : await outdatedPlugins(ctx.ops);
      progress.success(`Checked ${result.plugins.length} plugin(s) (${since(startedAt)} ms)`);
      output(ctx, result, () => {
        if (result.plugins.length === 0) return "No plugins installed.";
        const lines: string[] = [];
        for (const p of result.plugins) {
          lines.push(`${p.name} ${p.current ?? "(not applied)"}  (${p.source})`);
          if (p.skipped !== null) lines.push(`  skipped: ${p.skipped}`);
          else if (p.newer.length === 0) lines.push("  up to date");
          for (const v of p.newer) {
            lines.push(v.fits ? `  ${v.version}  fits: cosmo-runner plugins upgrade ${p.name} ${v.version}` : `  ${v.version}  does not fit: ${v.conflicts.map((c) => `${c.kind}: ${conflictMessage(c)}`).join(" ")}`);
          }
        }
        return lines.join("\n");
      });
    }),
});

export default defineCommand({
  meta: { name: "plugins", description: "Plugin records: add, list, remove, install, uninstall, enable, disable, upgrade, outdated" },
  subCommands: { add, list, remove, install, uninstall, enable, disable, upgrade, outdated },
});
