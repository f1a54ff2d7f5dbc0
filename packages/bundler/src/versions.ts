/**
 * The newest version that fits: which published versions of a plugin a range may pick, newest
 * first, and the reasons a version cannot fit that the packument alone already tells (engines,
 * peers on the host's own packages), so the walk skips them without building a tree. VS Code
 * picks an extension's release by `engines.vscode` the same way.
 */
import semver from "semver";
import type { Conflict } from "./conflicts";

/** The part of a packument the walk reads. */
export interface Packument {
  name: string;
  "dist-tags"?: Record<string, string>;
  versions: Record<string, PackumentVersion>;
}

/** One version's manifest as the packument carries it. */
export interface PackumentVersion {
  version: string;
  engines?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  deprecated?: string;
}

/** A newer version the walk passed over, and why. */
export interface SkippedVersion {
  version: string;
  conflicts: Conflict[];
}

/**
 * The versions `range` may pick, newest first, as npm would choose among them: when the
 * `latest` tag satisfies the range, versions above it are left out (a release published under
 * another tag is not for default installs); prereleases only when the range names one.
 */
export function candidateVersions(packument: Packument, range: string): string[] {
  const latest = packument["dist-tags"]?.latest;
  const fits = (v: string) => semver.satisfies(v, range, { loose: true });
  let versions = Object.keys(packument.versions).filter((v) => semver.valid(v) !== null && fits(v));
  if (latest !== undefined && fits(latest)) versions = versions.filter((v) => semver.lte(v, latest));
  return semver.rsort(versions);
}

/**
 * What the packument already says against a version: an `engines.node` excluding the host's
 * Node, or a peer on one of the host's own packages that its installed version does not satisfy.
 * Empty when only a full check can tell.
 */
export function packumentConflicts(
  plugin: string,
  manifest: PackumentVersion,
  host: { versions: Readonly<Record<string, string>> },
  nodeVersion: string,
): Conflict[] {
  const out: Conflict[] = [];
  const engine = manifest.engines?.node;
  if (typeof engine === "string" && !semver.satisfies(nodeVersion, engine, { includePrerelease: true })) {
    out.push({ kind: "engine", plugin, package: plugin, version: manifest.version, wanted: engine, found: nodeVersion });
  }
  for (const [name, range] of Object.entries(manifest.peerDependencies ?? {})) {
    const installed = host.versions[name];
    if (installed === undefined || installed === "" || manifest.peerDependenciesMeta?.[name]?.optional) continue;
    if (semver.satisfies(installed, range, { includePrerelease: true })) continue;
    out.push({ kind: "peer", plugin, package: name, wanted: range, found: installed, heldBy: { type: "host" }, heldRange: null });
  }
  return out;
}
