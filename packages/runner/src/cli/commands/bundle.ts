/**
 * `cosmo-runner bundle` and `cosmo-runner sync`: apply's two first steps, one at a time (the
 * bundle the plugin set, then install it). `sync` tells a running runner to reload onto what
 * it installed (POST /plugins/reload, rolling back if the new worker does not start).
 */
import { defineCommand } from "citty";
import { bundlePlugins } from "../../operations/bundle";
import { syncBundle } from "../../operations/sync";
import { describeCounts, packageCounts, phase } from "../progress";
import { connectRunner } from "../runner-client";
import { commonArgs, output, progress, since, withContext } from "../shared";

/** `cosmo-runner bundle`. */
export const bundleCommand = defineCommand({
  meta: { name: "bundle", description: "Write package.bundled.json (the runner's dependencies + the tracked plugins) into the data dir." },
  args: { ...commonArgs },
  run: ({ args }) =>
    withContext(args, async (ctx) => {
      const startedAt = performance.now();
      progress.start("Writing the bundled manifest...");
      const bundle = await bundlePlugins(ctx.ops);
      progress.success(`Bundled manifest written (${since(startedAt)} ms)`);
      output(ctx, bundle, () => `Wrote ${bundle.file} with ${bundle.plugins.length === 0 ? "no plugins" : bundle.plugins.join(", ")}.\nNext: cosmo-runner sync`);
    }),
});

/** `cosmo-runner sync`. */
export const syncCommand = defineCommand({
  meta: { name: "sync", description: "Install package.bundled.json as the current bundle; a running runner reloads onto it." },
  args: { ...commonArgs },
  run: ({ args }) =>
    withContext(args, async (ctx) => {
      const startedAt = performance.now();
      const sync = await phase("Installing the bundle (scripts off)", () => syncBundle(ctx.ops), async (r) =>
        r.changed === false ? `Nothing changed: bundle ${r.bundle} stays` : `Bundle ${r.bundle}: ${describeCounts(await packageCounts(r.lockfile, r.previous))}`,
      { fetches: true });
      const runner = await connectRunner(ctx.dataDir);
      let reload: unknown = null;
      if (runner) {
        progress.start(`Reloading the runner at ${runner.info.url}...`);
        reload = await runner.reload({ rollbackOnFailure: true });
        progress.success(`The runner serves bundle ${sync.bundle} (${since(startedAt)} ms in all)`);
      }
      output(ctx, { ...sync, reload }, () =>
        runner ? `Bundle ${sync.bundle} installed; the runner at ${runner.info.url} serves it.` : `Bundle ${sync.bundle} installed; the next \`cosmo-runner start\` serves it.`,
      );
    }),
});
