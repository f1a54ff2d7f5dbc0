/**
 * Which installed plugins are not being served, and why: an install commits the plugin to the
 * set, but only an apply (or, in a fleet, following the set's generation) puts it in the bundle a
 * worker serves. `plugins list` and `start` say so rather than leave a user to guess.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { currentBundle } from "@cosmo/bundler";
import type { PluginRecord } from "../store/types";
import { readBundleGeneration } from "./generation";

/** What a running runner can tell (a subset of its client). */
export interface ServedSource {
  health(): Promise<unknown>;
  installedPlugins(): Promise<unknown>;
}

const APPLY_HINT = "it is not in the bundle being served; run `cosmo-runner apply`";

async function bundleContents(dataDir: string): Promise<{ sources: string[]; packages: string[] } | null> {
  let bundle: string;
  try {
    bundle = await currentBundle(dataDir);
  } catch {
    return null;
  }
  const marker = await readBundleGeneration(bundle);
  const pkg = JSON.parse(await readFile(join(bundle, "package.json"), "utf8").catch(() => "{}")) as { dependencies?: Record<string, string> };
  return { sources: marker?.sources ?? [], packages: Object.keys(pkg.dependencies ?? {}) };
}

/**
 * For each installed record nobody serves: the record's id and the reason. With a runner, what
 * its worker has loaded decides (and a runner behind its fleet says why); without one, the data
 * dir's current bundle, which the next `start` serves.
 */
export async function unservedReasons(
  dataDir: string,
  records: readonly PluginRecord[],
  runner?: ServedSource,
  options: { shared?: boolean } = {},
): Promise<Map<string, string>> {
  const reasons = new Map<string, string>();
  // Disabled and quarantined plugins are left out on purpose; `list` shows their own status.
  const aside = (r: PluginRecord) => ["disabled", "quarantined"].includes(String((r as { status?: unknown }).status));
  const installed = records.filter((r) => r.install_status === "installed" && !aside(r));
  if (installed.length === 0) return reasons;
  if (runner) {
    const [health, loaded] = await Promise.all([runner.health(), runner.installedPlugins()]);
    const names = new Set(((loaded as { plugins?: { package?: string; name?: string }[] }).plugins ?? []).flatMap((p) => [p.package, p.name]));
    const generation = (health as { generation?: { state?: string; error?: { message?: string } } }).generation;
    const behind = generation?.state === "behind" && generation.error?.message ? `this runner cannot follow the shared set: ${generation.error.message}` : undefined;
    for (const r of installed) if (!names.has(r.name)) reasons.set(r.id, behind ?? APPLY_HINT);
    return reasons;
  }
  const bundle = await bundleContents(dataDir);
  // In a fleet a starting runner installs the shared set's generation by itself.
  const hint = options.shared ? "it is not in this runner's bundle yet; the runner installs the shared set's current generation (GET /health shows its progress)" : undefined;
  for (const r of installed) {
    if (bundle && (bundle.sources.includes(r.source.trim()) || bundle.packages.includes(r.name))) continue;
    reasons.set(r.id, hint ?? (bundle ? APPLY_HINT : "no bundle has been installed yet; run `cosmo-runner apply`"));
  }
  return reasons;
}
