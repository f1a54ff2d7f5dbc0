/**
 * The checks Arborist does not make for us, each a small function returning conflicts: engines
 * against the running Node, a plugin's host API range, shared singletons duplicated in the tree,
 * prefix and name collisions between plugins, and "is this a plugin at all" (cosmo.json read out
 * of the tarball in memory).
 */
import { hostRangeSatisfied, isCosmoError, parseManifest, prefixesOverlap, servedPrefix, type Manifest, type ManifestIssue } from "@cosmo/core";
import semver from "semver";
import type {
  DuplicateSingletonConflict,
  EngineConflict,
  ForbiddenSourceConflict,
  HostRangeConflict,
  NameCollisionConflict,
  NotAPluginConflict,
  NotAPluginProblem,
  PrefixCollisionConflict,
} from "./conflicts";
import { nearestDependent } from "./nearest-dependent";
import { loadArborist, loadPacote } from "./npm-libs";
import type { NpmOptions } from "./npm-options";
import { readTarballFile } from "./tarball";

/** The slice of an Arborist Node the checks read. */
export interface TreeNode {
  name: string;
  version?: string;
  path: string;
  location: string;
  isLink: boolean;
  isRoot?: boolean;
  package: { engines?: Record<string, string> };
  target: TreeNode;
  edgesIn: Set<{ from: TreeNode | null }>;
  children: Map<string, TreeNode>;
  inventory?: Map<string, TreeNode>;
  resolved?: string | null;
  integrity?: string | null;
}

/** A plugin's cosmo.json, or why it has none. */
export type PluginManifestResult = { manifest: Manifest } | { problem: NotAPluginProblem };

/**
 * Reads and validates a package's cosmo.json from its tarball, in memory: nothing is unpacked.
 * `spec` is anything pacote fetches (`name@1.0.0`, a tarball URL or path, a git URL).
 */
export async function readPluginManifest(spec: string, name: string, npmOptions: NpmOptions = {}): Promise<PluginManifestResult> {
  const [Arborist, pacote] = await Promise.all([loadArborist(), loadPacote()]);
  const tgz = await pacote.tarball(spec, { ...npmOptions, Arborist, ignoreScripts: true });
  return manifestFromTarball(tgz, name);
}

/** The cosmo.json of a package tarball held in memory, or why it has none. */
export function manifestFromTarball(tgz: Buffer, name: string): PluginManifestResult {
  const text = readTarballFile(tgz, "cosmo.json");
  if (text === undefined) return { problem: { problem: "no-manifest" } };
  try {
    return { manifest: parseManifest(text.toString("utf8"), name) };
  } catch (error) {
    if (isCosmoError(error) && error.code === "COSMO_E_MANIFEST_INVALID") {
      return { problem: { problem: "manifest-invalid", issues: (error.details.issues ?? []) as ManifestIssue[] } };
    }
    if (isCosmoError(error) && error.code === "COSMO_E_MANIFEST_JSON") {
      return { problem: { problem: "manifest-json", reason: String(error.details.reason) } };
    }
    throw error;
  }
}

/** The nearest plugin a node is installed for, walking the edges into it. */
export function pluginOfNode(node: TreeNode, plugins: ReadonlySet<string>): string | undefined {
  const found = nearestDependent(
    node,
    (current) => [...current.edgesIn].map((edge) => edge.from),
    // A top-level copy only: a plugin's name nested under another package is not the plugin.
    (current) => plugins.has(current.name) && current.location === `node_modules/${current.name}`,
  );
  return found?.name;
}

/** Packages in the tree whose `engines.node` excludes the Node running the host. */
export function engineConflicts(tree: TreeNode, plugins: ReadonlySet<string>, nodeVersion: string): EngineConflict[] {
  const out: EngineConflict[] = [];
  for (const node of (tree.inventory ?? new Map()).values()) {
    if (node.isLink || node === tree) continue;
    const range = node.package.engines?.node;
    if (typeof range !== "string" || semver.satisfies(nodeVersion, range, { includePrerelease: true })) continue;
    out.push({
      kind: "engine",
      plugin: pluginOfNode(node, plugins) ?? node.name,
      package: node.name,
      version: node.version ?? null,
      wanted: range,
      found: nodeVersion,
    });
  }
  return out;
}

/** A plugin whose cosmo.json `cosmo` range excludes the host's @cosmo/core. */
export function hostRangeConflict(plugin: string, manifest: Manifest, coreVersion: string | undefined): HostRangeConflict[] {
  if (manifest.cosmo === undefined || coreVersion === undefined || hostRangeSatisfied(manifest, coreVersion)) return [];
  return [{ kind: "host-range", plugin, wanted: manifest.cosmo, found: coreVersion }];
}

/**
 * Shared packages (one copy only, like Module Federation's `singleton`) with a second copy in the
 * tree. The host's copy is the target of the root's link; it may be missing from the inventory
 * (a tree loaded from a bundle's lockfile keeps link targets outside the root out of it), so
 * every real copy other than that target counts as a second one.
 */
export function singletonConflicts(
  tree: TreeNode,
  shared: Iterable<string>,
  plugins: ReadonlySet<string>,
  fallbackPlugin: string,
): DuplicateSingletonConflict[] {
  const out: DuplicateSingletonConflict[] = [];
  const nodes = [...(tree.inventory ?? new Map()).values()];
  for (const name of new Set(shared)) {
    const top = tree.children.get(name);
    const hostCopy = top?.isLink ? top.target : top;
    const copies = new Map<string, TreeNode>();
    for (const node of nodes) {
      if (node.name !== name || node.isLink || node === tree || node === hostCopy || node.path === hostCopy?.path) continue;
      copies.set(node.path, node);
    }
    // With no copy at the top, the first one is the shared copy; only a second is a duplicate.
    const extra = top === undefined ? [...copies.values()].slice(1) : [...copies.values()];
    for (const copy of extra) {
      out.push({
        kind: "duplicate-singleton",
        plugin: pluginOfNode(copy, plugins) ?? fallbackPlugin,
        package: name,
        version: copy.version ?? null,
        hostVersion: hostCopy?.version ?? null,
      });
    }
  }
  return out;
}

/** Webhook prefix and plugin name collisions between the candidate and the plugins already installed. */
export function collisionConflicts(
  candidate: string,
  manifest: Manifest,
  others: ReadonlyMap<string, Manifest>,
): Array<PrefixCollisionConflict | NameCollisionConflict> {
  const out: Array<PrefixCollisionConflict | NameCollisionConflict> = [];
  for (const [other, theirs] of others) {
    if (other === candidate) continue;
    // Only prefixes that serve routes can clash: the same rule the runtime applies.
    const mine = servedPrefix(manifest);
    const their = servedPrefix(theirs);
    if (mine !== undefined && their !== undefined && prefixesOverlap(mine, their)) {
      out.push({ kind: "prefix-collision", plugin: candidate, prefix: mine, other, otherPrefix: their });
    }
    if (manifest.name === theirs.name) out.push({ kind: "name-collision", plugin: candidate, name: manifest.name, other });
  }
  return out;
}

/** A source that is not a Cosmo plugin: no cosmo.json, or one that does not validate. */
export function notAPluginConflict(plugin: string, problem: NotAPluginProblem): NotAPluginConflict {
  return { kind: "not-a-plugin", plugin, ...problem };
}

/** A source of a kind (git, remote URL) the host has not opted in to. */
export function forbiddenSourceConflict(source: string, type: "git" | "remote", optIn: string): ForbiddenSourceConflict {
  return { kind: "forbidden-source", plugin: source, package: source, sourceType: type, optIn };
}
