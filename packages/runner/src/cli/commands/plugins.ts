/**
 * `cosmo-runner plugins add|list|remove|install|uninstall`: the admin API's record and RPC
 * operations, run on the data dir directly (no runner needed). `--apply` on install and
 * uninstall then applies as `cosmo-runner apply` does.
 */
import { defineCommand } from "citty";
import { installPlugin, uninstallPlugin } from "../../operations/install";
import { absoluteSource, addPluginRecord } from "../../operations/add";
import type { PluginRecord } from "../../store/types";
import { commonArgs, findRecord, mustFindRecord, output, progress, since, withContext, type CliContext } from "../shared";
import { applyNow, describeApply } from "./apply";

const target = { type: "positional", required: true, description: "The plugin's record id, or its source" } as const;
const applyArg = { type: "boolean", default: false, description: "Then apply: bundle, install and serve (a running runner reloads)" } as const;

function line(r: PluginRecord): string {
  const error = r.error_message ? `\n    ${r.error_message.split("\n")[0]}` : "";
  return `${r.id}  ${r.install_status.padEnd(9)}  ${r.name}  (${r.source})${error}`;
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
      const record = await addPluginRecord(ctx.store, String(args.source));
      output(ctx, record, `Added ${record.name} (${record.id}), pending.\nNext: cosmo-runner plugins install ${record.id}`);
    }),
});

const list = defineCommand({
  meta: { name: "list", description: "List the plugin records with their install status." },
  args: { ...commonArgs },
  run: ({ args }) =>
    withContext(args, async (ctx) => {
      const plugins = await ctx.store.list();
      output(ctx, { plugins }, () => (plugins.length === 0 ? "No plugins. Add one: cosmo-runner plugins add <source>" : plugins.map(line).join("\n")));
    }),
});

const remove = defineCommand({
  meta: { name: "remove", description: "Delete a plugin record (uninstalling it first)." },
  args: { target, ...commonArgs },
  run: ({ args }) =>
    withContext(args, async (ctx) => {
      const record = await mustFindRecord(ctx.store, String(args.target));
      if (record.install_status === "installed") await uninstallPlugin(ctx.ops, record);
      await ctx.store.remove(record.id);
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
    withContext(args, async (ctx) => rpc(ctx, await mustFindRecord(ctx.store, String(args.target)), "uninstall", Boolean(args.apply))),
});

export default defineCommand({
  meta: { name: "plugins", description: "Plugin records: add, list, remove, install, uninstall" },
  subCommands: { add, list, remove, install, uninstall },
});
