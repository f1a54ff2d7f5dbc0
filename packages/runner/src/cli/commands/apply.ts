/**
 * `cosmo-runner apply`: bundle + sync + reload. With a runner serving the data dir, the runner
 * does all three (POST /plugins/apply) so it reloads onto the result without dropping requests;
 * with none, the CLI bundles and syncs here and the next `start` serves the bundle.
 */
import { defineCommand } from "citty";
import { bundleAndSync } from "../../operations/apply";
import { connectRunner } from "../runner-client";
import { commonArgs, output, progress, since, withContext, type CliContext } from "../shared";

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
    progress.start(`Applying through the runner at ${runner.info.url} (bundle, sync, reload)...`);
    const result = await runner.apply();
    progress.success(`Applied: the runner serves the new bundle (${since(startedAt)} ms)`);
    return { via: "runner", url: runner.info.url, result, took_ms: since(startedAt) };
  }
  progress.start("Bundling and installing the tracked plugins...");
  const result = await bundleAndSync(ctx.ops);
  progress.success(`Bundle ${result.sync.bundle} installed (${since(startedAt)} ms)`);
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
