/**
 * Bundles made by hand, without a registry or Arborist: a dir under `bundle.versions/` whose
 * node_modules holds tiny plugin packages, made current by the bundler's own activateBundle.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isCosmoError } from "@cosmo/core";
import { activateBundle, bundleLayout, currentBundle, defaultBundleDir } from "@cosmo/bundler";

/** One plugin package for a hand-made bundle. */
export interface FixturePlugin {
  /** Package and plugin name. */
  name: string;
  /** webhook_prefix, e.g. "/hello". */
  prefix: string;
  /** The body of index.js, an ES module exporting `plugin`. */
  source: string;
  version?: string;
}

/** A plugin whose `GET <prefix>/version` answers `{ version }`. */
export function versionPlugin(name: string, prefix: string, version: string): FixturePlugin {
  return {
    name,
    prefix,
    version: `${version}.0.0`,
    source: `export const plugin = {\n  setup(ctx) {\n    ctx.route("GET", "/version", () => ({ plugin: ${JSON.stringify(name)}, version: ${JSON.stringify(version)} }));\n  },\n};\n`,
  };
}

/** Writes `<dataDir>/bundle.versions/<id>` with the plugins; returns its dir. Does not make it current. */
export async function makeBundle(dataDir: string, id: string, plugins: FixturePlugin[]): Promise<string> {
  const dir = join(bundleLayout(defaultBundleDir(dataDir)).versions, id);
  for (const p of plugins) {
    const pkg = join(dir, "node_modules", p.name);
    await mkdir(pkg, { recursive: true });
    const version = p.version ?? "1.0.0";
    await writeFile(join(pkg, "package.json"), JSON.stringify({ name: p.name, version, type: "module", main: "./index.js" }));
    await writeFile(
      join(pkg, "cosmo.json"),
      JSON.stringify({ name: p.name, version, plugin_class: "./index.js:plugin", requires_webhooks: true, webhook_prefix: p.prefix }),
    );
    await writeFile(join(pkg, "index.js"), p.source);
  }
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: "test-bundled", version: "0.0.0", private: true }));
  return dir;
}

/** Makes a bundle dir current as sync() does: the old current becomes previous, then the switch. */
export function useBundle(dataDir: string, dir: string): Promise<void> {
  return activateBundle({ dataDir, path: dir });
}

/** The bundle dir `<dataDir>/bundle` points at now, or undefined when there is none. */
export async function currentLink(dataDir: string): Promise<string | undefined> {
  try {
    return await currentBundle(dataDir);
  } catch (error) {
    if (isCosmoError(error) && error.code === "COSMO_E_NO_BUNDLE") return undefined;
    throw error;
  }
}
