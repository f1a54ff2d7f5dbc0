/**
 * The bundled manifest, `package.bundled.json`: the host's package.json renamed `<name>-bundled`,
 * its dependencies linked to the copies the host has installed, plus one dependency per plugin.
 * What a Python server's `pyproject.bundled.toml` is, for Node: host and plugins in one resolution, with
 * the host's package.json left as it is.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createError } from "@cosmo/core";
import writeFileAtomic from "write-file-atomic";
import { readHost, type HostInfo } from "./host";
import type { NpmOptions } from "./npm-options";
import { resolveSources, type ResolvedSource, type Source, type SourcePolicy } from "./source";

/** File name of the bundled manifest. */
export const BUNDLED_MANIFEST = "package.bundled.json";

/** A bundled manifest: a package.json Arborist can resolve. */
export interface BundledManifest {
  name: string;
  dependencies: Record<string, string>;
  [key: string]: unknown;
}

/** Options of {@link createBundledManifest}. */
export interface BundleOptions extends SourcePolicy {
  /** The host directory (its package.json and installed node_modules). */
  hostDir: string;
  /** Plugin sources, as tracked (strings) or already parsed. */
  sources: ReadonlyArray<string | Source>;
  /** Cosmo's data dir: local directory plugins are packed under `<dataDir>/cache/packed`. */
  dataDir?: string;
  npmOptions?: NpmOptions;
}

/** A bundled manifest with what went into it, for callers that need more than the JSON. */
export interface Bundle {
  manifest: BundledManifest;
  host: HostInfo;
  plugins: ResolvedSource[];
}

// Fields of the host's package.json that must not reach the bundle: the bundle installs the
// host's runtime dependencies only (dev tools stay with the host), never runs scripts, and is
// not a workspace root.
const DROPPED_FIELDS = ["devDependencies", "peerDependencies", "peerDependenciesMeta", "workspaces", "scripts", "bin"];

/** Where local directory plugins are packed for a data dir. */
export function packCacheDir(dataDir: string | undefined): string {
  return join(dataDir ?? join(tmpdir(), "cosmo"), "cache", "packed");
}

/** The bundled manifest of a host and its plugins, built from already-read parts. */
export function bundleManifest(host: HostInfo, plugins: readonly ResolvedSource[]): BundledManifest {
  const manifest: Record<string, unknown> = { ...host.pkg };
  for (const key of DROPPED_FIELDS) delete manifest[key];
  // Optional host deps that are installed are linked like the rest; the others are left out.
  delete manifest.optionalDependencies;
  const dependencies: Record<string, string> = { ...host.links };
  const owner = new Map<string, string>();
  for (const plugin of plugins) {
    if (host.links[plugin.name] !== undefined || host.pkg.dependencies?.[plugin.name] !== undefined) {
      throw createError("COSMO_E_SPEC_INVALID", {
        source: plugin.raw,
        reason: `it is the package ${plugin.name}, which the host itself depends on`,
      });
    }
    const previous = owner.get(plugin.name);
    if (previous !== undefined) {
      throw createError("COSMO_E_SPEC_INVALID", {
        source: plugin.raw,
        reason: `it is the package ${plugin.name}, already installed from "${previous}"; uninstall that one first`,
      });
    }
    owner.set(plugin.name, plugin.raw);
    dependencies[plugin.name] = plugin.spec;
  }
  return { ...manifest, name: `${host.pkg.name ?? "host"}-bundled`, dependencies };
}

/** Reads the host and resolves the sources into a {@link Bundle}. */
export async function createBundle(options: BundleOptions): Promise<Bundle> {
  const host = await readHost(options.hostDir);
  const plugins = await resolveSources(options.sources, {
    ...options,
    cacheDir: packCacheDir(options.dataDir),
    npmOptions: options.npmOptions,
  });
  return { manifest: bundleManifest(host, plugins), host, plugins };
}

/**
 * Builds the bundled manifest of a host and its plugins, in memory. Throws `COSMO_E_HOST_INVALID`
 * when a host dependency is not installed, `COSMO_E_SPEC_INVALID`/`COSMO_E_SOURCE_FORBIDDEN` for bad sources.
 * @example const manifest = await createBundledManifest({ hostDir, sources: ["plugin-ok@^1"] });
 */
export async function createBundledManifest(options: BundleOptions): Promise<BundledManifest> {
  return (await createBundle(options)).manifest;
}

/** Writes `<dir>/package.bundled.json` atomically (temp file + rename): readers see old or new, never half. */
export async function writeBundledManifest(dir: string, manifest: BundledManifest): Promise<string> {
  const file = join(dir, BUNDLED_MANIFEST);
  await writeFileAtomic(file, `${JSON.stringify(manifest, null, 2)}\n`);
  return file;
}
