/**
 * `cosmo-runner apply`: bundle + sync + reload. With a runner serving the data dir, the runner
 * does all three (POST /plugins/apply) so it reloads onto the result without dropping requests;
 * with none, the CLI bundles and syncs here and the next `start` serves the bundle.
 */
import { defineCommand } from "citty";
import { listTracked } from "@cosmo/bundler";
import { bundleAndSync } from "../../operations/apply";
import { bundlePlugins } from "../../operations/bundle";
import { syncBundle } from "../../operations/sync";
import { describeCounts, packageCounts, phase } from "../progress";
import { connectRunner } from "../runner-client";
import { commonArgs, output, since, withContext, type CliContext } from "../shared";

/** What an apply from the CLI did, and where. */
export interface CliApplyResult {
  /** "runner": the running runner applied and reloaded; "local": bundled and synced here, no runner to reload. */
  via: "runner" | "local";
  url?: string;
  result: unknown;
  took_ms: number;
  note?: string;
}

/** Applies the tracked plugins (see the module comment); shared with `plugins install|uninstall --apply`. */
export async function applyNow(ctx: CliContext): Promise<CliApplyResult> {
  const startedAt = performance.now();
  const runner = await connectRunner(ctx.dataDir);
  if (runner) {
    const result = await phase(`Applying through the runner at ${runner.info.url} (bundle, install, reload)`, () => runner.apply(), async (r) => {
      // Same machine, same data dir: the runner's new lockfile is readable here.
      const counts = describeCounts(await packageCounts(r.lockfile, r.previous));
      return r.changed === false ? `Nothing changed: the runner serves bundle ${r.bundle}` : `The runner serves bundle ${r.bundle}: ${counts}`;
    });
    return { via: "runner", url: runner.info.url, result, took_ms: since(startedAt) };
  }
  const result = await ctx.ops.serial(async () => {
    const tracked = await listTracked(ctx.dataDir);
    const bundle = await phase(`Bundling ${tracked.length} tracked plugin${tracked.length === 1 ? "" : "s"}`, () => bundlePlugins(ctx.ops), (b) =>
      `Bundled manifest: ${b.plugins.length === 0 ? "no plugins" : b.plugins.join(", ")}`,
    );
    const sync = await phase("Installing the bundle (scripts off)", () => syncBundle(ctx.ops), async (r) =>
      r.changed === false ? `Nothing changed: bundle ${r.bundle} stays` : `Bundle ${r.bundle}: ${describeCounts(await packageCounts(r.lockfile, r.previous))}`,
    { fetches: true });
    return { bundle, sync };
  });
  return {
    via: "local",
    result,
    took_ms: since(startedAt),
    note: "No runner is serving this data dir: the next `cosmo-runner start` serves this bundle.",
  };
}

/** Text for an apply result. */
export function describeApply(applied: CliApplyResult): string {
  if (applied.via === "runner") return `Applied: the runner at ${applied.url} serves the new bundle.`;
  const { bundle, sync } = applied.result as Awaited<ReturnType<typeof bundleAndSync>>;
  const plugins = bundle.plugins.length === 0 ? "no plugins" : bundle.plugins.join(", ");
  return `Bundle ${sync.bundle} installed with ${plugins}.\n${applied.note}`;
}

export default defineCommand({
  meta: { name: "apply", description: "Bundle, install and serve the tracked plugins (a running runner reloads without dropping requests)." },
  args: { ...commonArgs },
  run: ({ args }) =>
    withContext(args, async (ctx) => {
      const applied = await applyNow(ctx);
      output(ctx, applied, () => describeApply(applied));
    }),
});
