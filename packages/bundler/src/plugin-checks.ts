/**
 * The checks Arborist does not make for us, each a small function returning conflicts: engines
 * against the running Node, a plugin's host API range, shared singletons duplicated in the tree,
 * prefix and name collisions between plugins, and "is this a plugin at all" (cosmo.json read out
 * of the tarball in memory).
 */
import { hostRangeSatisfied, isCosmoError, parseManifest, prefixesOverlap, servedPrefix, type Manifest } from "@cosmo/core";
import Arborist from "@npmcli/arborist";
import pacote from "pacote";
import semver from "semver";
import type { Conflict } from "./conflicts";
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
export type PluginManifestResult = { manifest: Manifest } | { problem: string };

/**
 * Reads and validates a package's cosmo.json from its tarball, in memory: nothing is unpacked.
 * `spec` is anything pacote fetches (`name@1.0.0`, a tarball URL or path, a git URL).
 */
export async function readPluginManifest(spec: string, name: string, npmOptions: NpmOptions = {}): Promise<PluginManifestResult> {
  const tgz = await pacote.tarball(spec, { ...npmOptions, Arborist, ignoreScripts: true });
  const text = readTarballFile(tgz, "cosmo.json");
  if (text === undefined) return { problem: "it has no cosmo.json at the package root" };
  try {
    return { manifest: parseManifest(text.toString("utf8"), name) };
  } catch (error) {
    if (isCosmoError(error)) return { problem: error.message };
    throw error;
  }
}

/** The nearest plugin a node is installed for, walking the edges into it. */
export function pluginOfNode(node: TreeNode, plugins: ReadonlySet<string>): string | undefined {
  const queue = [node];
  const seen = new Set<TreeNode>();
  while (queue.length > 0) {
    const current = queue.shift() as TreeNode;
    if (seen.has(current)) continue;
    seen.add(current);
    if (plugins.has(current.name) && current.location === `node_modules/${current.name}`) return current.name;
    for (const edge of current.edgesIn) if (edge.from) queue.push(edge.from);
  }
  return undefined;
}

/** Packages in the tree whose `engines.node` excludes the Node running the host. */
export function engineConflicts(tree: TreeNode, plugins: ReadonlySet<string>, nodeVersion: string): Conflict[] {
  const out: Conflict[] = [];
  for (const node of (tree.inventory ?? new Map()).values()) {
    if (node.isLink || node === tree) continue;
    const range = node.package.engines?.node;
    if (typeof range !== "string" || semver.satisfies(nodeVersion, range, { includePrerelease: true })) continue;
    const plugin = pluginOfNode(node, plugins) ?? node.name;
    const self = plugin === node.name;
    out.push({
      kind: "engine",
      plugin,
      package: node.name,
      wanted: `node ${range}`,
      found: `node ${nodeVersion}`,
      requiredBy: "host",
      message: `${self ? plugin : `${node.name}@${node.version} (used by ${plugin})`} supports Node ${range}, but the host runs Node ${nodeVersion}.`,
      hint: `Install a release of ${plugin} that supports Node ${nodeVersion}, or run the host on a Node matching ${range}.`,
    });
  }
  return out;
}

/** A plugin whose cosmo.json `cosmo` range excludes the host's @cosmo/core. */
export function hostRangeConflict(plugin: string, manifest: Manifest, coreVersion: string | undefined): Conflict[] {
  if (manifest.cosmo === undefined || coreVersion === undefined || hostRangeSatisfied(manifest, coreVersion)) return [];
  return [
    {
      kind: "host-range",
      plugin,
      package: "@cosmo/core",
      wanted: manifest.cosmo,
      found: coreVersion,
      requiredBy: "host",
      message: `${plugin} supports @cosmo/core ${manifest.cosmo}, but this host runs @cosmo/core ${coreVersion}.`,
      hint: `Install a release of ${plugin} made for @cosmo/core ${coreVersion}, or upgrade the host's @cosmo/core.`,
    },
  ];
}

/** Shared packages (one copy only, like Module Federation's `singleton`) with a second copy in the tree. */
export function singletonConflicts(tree: TreeNode, shared: Iterable<string>, plugins: ReadonlySet<string>): Conflict[] {
  const out: Conflict[] = [];
  const nodes = [...(tree.inventory ?? new Map()).values()];
  for (const name of new Set(shared)) {
    // A link and its target are one copy: count real directories.
    const copies = new Map<string, TreeNode>();
    for (const node of nodes) if (node.name === name && !node.isLink && node !== tree) copies.set(node.path, node);
    if (copies.size < 2) continue;
    const top = tree.children.get(name)?.target;
    for (const copy of copies.values()) {
      if (copy === top) continue;
      const plugin = pluginOfNode(copy, plugins) ?? "a dependency";
      out.push({
        kind: "duplicate-singleton",
        plugin,
        package: name,
        wanted: copy.version ?? "?",
        found: top?.version ?? "?",
        requiredBy: "host",
        message: `The host shares one copy of ${name} (${top?.version ?? "?"}) with every plugin, but ${plugin} would get its own ${name}@${copy.version}.`,
        hint: `Install a release of ${plugin} whose ${name} range accepts ${top?.version ?? "the host's version"} (ideally as a peer dependency).`,
      });
    }
  }
  return out;
}

/** Webhook prefix and plugin name collisions between the candidate and the plugins already installed. */
export function collisionConflicts(candidate: string, manifest: Manifest, others: ReadonlyMap<string, Manifest>): Conflict[] {
  const out: Conflict[] = [];
  for (const [other, theirs] of others) {
    if (other === candidate) continue;
    // Only prefixes that serve routes can clash: the same rule the runtime applies.
    const mine = servedPrefix(manifest);
    const their = servedPrefix(theirs);
    if (mine !== undefined && their !== undefined && prefixesOverlap(mine, their)) {
      out.push({
        kind: "prefix-collision",
        plugin: candidate,
        package: "webhook_prefix",
        wanted: mine,
        found: their,
        requiredBy: other,
        message: `${candidate} wants webhook_prefix ${mine}, which overlaps ${other}'s ${their}.`,
        hint: `Two plugins cannot serve the same paths: uninstall ${other}, or use a release of ${candidate} with another prefix.`,
      });
    }
    if (manifest.name === theirs.name) {
      out.push({
        kind: "name-collision",
        plugin: candidate,
        package: "name",
        wanted: manifest.name,
        found: theirs.name,
        requiredBy: other,
        message: `${candidate}'s cosmo.json names the plugin "${manifest.name}", the name ${other} already uses.`,
        hint: `Plugin names are unique within a host: uninstall ${other}, or ask the author of ${candidate} to rename it.`,
      });
    }
  }
  return out;
}

/** A source that is not a Cosmo plugin: no cosmo.json, or one that does not validate. */
export function notAPluginConflict(plugin: string, problem: string): Conflict {
  return {
    kind: "not-a-plugin",
    plugin,
    package: plugin,
    wanted: "a valid cosmo.json",
    found: problem,
    requiredBy: plugin,
    message: `${plugin} is not a Cosmo plugin: ${problem}`,
    hint: `Check the source names the plugin package (not a library), or add a valid cosmo.json to it (schema: @cosmo/core/cosmo.schema.json).`,
  };
}

/** A source of a kind (git, remote URL) the host has not opted in to. */
export function forbiddenSourceConflict(source: string, type: string, option: string, message: string): Conflict {
  return {
    kind: "forbidden-source",
    plugin: source,
    package: source,
    wanted: type,
    found: "not allowed",
    requiredBy: "host",
    message,
    hint: `Publish the plugin to a registry and install it by name, or have the host opt in (${option}).`,
  };
}
