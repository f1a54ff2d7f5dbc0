/**
 * Bundle: apply's first step. Writes `<dataDir>/package.bundled.json`, the host's package.json
 * plus the plugin set (see @cosmo/bundler's bundle), under the source policy the check applied.
 */
import { createBundle, writeBundledManifest } from "@cosmo/bundler";
import type { OperationsContext } from "./context";
import { installedSources } from "./plugin-set";
import { bundlerSourcePolicy } from "./source-policy";

/** What `bundle` wrote. */
export interface BundleSummary {
  /** The package.bundled.json written. */
  file: string;
  /** The plugin sources it holds, in set order. */
  sources: string[];
  /** Package name of each plugin. */
  plugins: string[];
}

/** Writes `<dataDir>/package.bundled.json` for the plugin set (default: the store's installed records). */
export async function bundlePlugins(ctx: OperationsContext, sources?: string[]): Promise<BundleSummary> {
  const set = sources ?? installedSources(await ctx.store.list());
  const bundle = await createBundle({
    hostDir: ctx.hostDir,
    sources: set,
    dataDir: ctx.dataDir,
    npmOptions: await ctx.npmOptions(),
    // The policy the check applied: a source it let in must also bundle (git with the opt-in).
    ...bundlerSourcePolicy(ctx.sourcePolicy),
  });
  const file = await writeBundledManifest(ctx.dataDir, bundle.manifest);
  return { file, sources: set, plugins: bundle.plugins.map((p) => p.name) };
}
