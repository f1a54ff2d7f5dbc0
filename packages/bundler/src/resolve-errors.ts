/**
 * Turns what Arborist throws while building the ideal tree (ERESOLVE, E404, ETARGET, EALLOW*) into
 * conflicts that name the plugin on each side. Anything else is not a conflict but a failure to
 * resolve (network, auth) and is thrown as `COSMO_E_RESOLVE_FAILED`.
 */
import { createError, errorMessage } from "@cosmo/core";
import type { Conflict } from "./conflicts";

// The explanation objects Arborist puts on ERESOLVE (lib/place-dep.js, node.explain()): plain
// data, each node listing the edges into it, each edge naming the node it comes from.
interface ExplainedNode {
  name?: string;
  version?: string;
  location?: string;
  dependents?: ExplainedEdge[];
}
interface ExplainedEdge {
  type?: string;
  name?: string;
  spec?: string;
  from?: ExplainedNode;
}
interface ResolveError {
  code?: string;
  current?: ExplainedNode | null;
  edge?: ExplainedEdge;
  currentEdge?: ExplainedEdge;
  peerConflict?: { current?: ExplainedNode; peer?: ExplainedNode };
  pkgid?: string;
  package?: string;
  name?: string;
  wanted?: string;
  versions?: string[];
  requiredBy?: string;
}

/** Who the resolution is about: plugin names, host dependency names, the plugin being added. */
export interface ResolveContext {
  plugins: ReadonlySet<string>;
  hostDeps: ReadonlySet<string>;
  candidate: string;
  /** How to opt in to git / remote sources on this host, for hints. */
  optIn: { git: string; remote: string };
}

/** The nearest plugin a node is there for, walking its dependents breadth first. */
function pluginOf(node: ExplainedNode | undefined, ctx: ResolveContext): string | undefined {
  const queue: ExplainedNode[] = node === undefined ? [] : [node];
  const seen = new Set<ExplainedNode>();
  while (queue.length > 0) {
    const current = queue.shift() as ExplainedNode;
    if (seen.has(current)) continue;
    seen.add(current);
    if (current.name !== undefined && ctx.plugins.has(current.name)) return current.name;
    for (const edge of current.dependents ?? []) if (edge.from) queue.push(edge.from);
  }
  return undefined;
}

/** Who holds a placed node: the host (one of its own deps), a plugin, or the tree at large. */
function holderOf(node: ExplainedNode | undefined, ctx: ResolveContext): string {
  if (node?.name !== undefined && ctx.hostDeps.has(node.name)) return "host";
  return pluginOf(node, ctx) ?? "another dependency";
}

/** The plugin behind an E404/ETARGET's `requiredBy` location (`.`, `node_modules/<plugin>/...`). */
function pluginAt(location: string | undefined, missing: string, ctx: ResolveContext): string {
  if (location === undefined || location === "." || location === "") {
    return ctx.plugins.has(missing) ? missing : ctx.candidate;
  }
  const match = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(location);
  return match?.[1] !== undefined && ctx.plugins.has(match[1]) ? match[1] : ctx.candidate;
}

function peerConflict(e: ResolveError, ctx: ResolveContext): Conflict {
  // Two plugins' peers: `current` is what one plugin's peer placed, `peer` what the other needs.
  if (e.peerConflict?.peer !== undefined) {
    const { current, peer } = e.peerConflict;
    const wantedEdge = peer.dependents?.find((d) => d.type?.startsWith("peer")) ?? peer.dependents?.[0];
    const heldEdge = current?.dependents?.find((d) => d.type?.startsWith("peer")) ?? current?.dependents?.[0];
    const plugin = pluginOf(peer, ctx) ?? ctx.candidate;
    const other = holderOf(current, ctx);
    const pkg = peer.name ?? current?.name ?? "?";
    return {
      kind: "peer",
      plugin,
      package: pkg,
      wanted: wantedEdge?.spec ?? peer.version ?? "?",
      found: current?.version ?? "?",
      requiredBy: other,
      message: `${plugin} needs ${pkg}@${wantedEdge?.spec ?? peer.version} as a peer, but ${other} needs ${pkg}@${heldEdge?.spec ?? current?.version}; a peer has one copy, so both cannot be satisfied.`,
      hint: `Install only one of ${plugin} and ${other}, or find releases of both that accept the same ${pkg} major.`,
    };
  }
  // A plugin against what is already placed (the host's own copy, linked, or another plugin's).
  const current = e.current ?? undefined;
  const plugin = pluginOf(e.edge?.from, ctx) ?? ctx.candidate;
  const pkg = e.edge?.name ?? current?.name ?? "?";
  const wanted = e.edge?.spec ?? "?";
  const found = current?.version ?? "nothing";
  const holder = holderOf(current, ctx);
  const isHost = holder === "host";
  return {
    kind: "peer",
    plugin,
    package: pkg,
    wanted,
    found,
    requiredBy: holder,
    message: `${plugin} needs ${pkg}@${wanted} as a peer, but ${isHost ? "the host runs" : `${holder} brings`} ${pkg}@${found}${e.currentEdge?.spec ? ` (${e.currentEdge.spec})` : ""}.`,
    hint: isHost
      ? `Install a release of ${plugin} that accepts ${pkg}@${found}, or move the host to a ${pkg} matching ${wanted}.`
      : `Install a release of ${plugin} that accepts ${pkg}@${found}, or uninstall ${holder}.`,
  };
}

/**
 * The conflict an Arborist error stands for, or throws `COSMO_E_RESOLVE_FAILED` when the error is
 * not about the plugins (registry unreachable, auth, a broken cache).
 */
export function conflictFromResolveError(error: unknown, ctx: ResolveContext): Conflict {
  const e = (error ?? {}) as ResolveError;
  switch (e.code) {
    case "ERESOLVE":
      return peerConflict(e, ctx);
    case "E404": {
      const missing = (e.pkgid ?? "?").replace(/(.)@.*$/, "$1");
      const plugin = pluginAt(e.requiredBy, missing, ctx);
      const self = missing === plugin;
      return {
        kind: "not-found",
        plugin,
        package: missing,
        wanted: "any version",
        found: "nothing",
        requiredBy: "registry",
        message: self
          ? `${missing} is not in the registry.`
          : `${plugin} depends on ${missing}, which is not in the registry.`,
        hint: self
          ? `Check the name for typos and that your npm config points at the registry that has it (npm view ${missing}).`
          : `Ask the author of ${plugin} to fix the dependency, or check your npm config reaches the registry that has ${missing}.`,
      };
    }
    case "ETARGET": {
      const pkg = e.name ?? "?";
      const plugin = pluginAt(e.requiredBy, pkg, ctx);
      const versions = e.versions ?? [];
      const shown = versions.length > 8 ? `${versions.slice(-8).join(", ")}, ...` : versions.join(", ");
      return {
        kind: "no-matching-version",
        plugin,
        package: pkg,
        wanted: e.wanted ?? "?",
        found: versions.length === 0 ? "no versions" : shown,
        requiredBy: "registry",
        message: `No version of ${pkg} matches ${e.wanted}${plugin === pkg ? "" : ` (wanted by ${plugin})`}.`,
        hint:
          plugin === pkg
            ? `Pick a version that exists: ${shown || "none published"}.`
            : `${pkg} has ${shown || "no versions"}; ask the author of ${plugin} to fix the range, or publish a matching ${pkg}.`,
      };
    }
    case "EALLOWGIT":
    case "EALLOWREMOTE": {
      const type = e.code === "EALLOWGIT" ? "git" : "remote URL";
      const pkg = e.package ?? "?";
      return {
        kind: "forbidden-source",
        plugin: ctx.candidate,
        package: pkg,
        wanted: type,
        found: "not allowed",
        requiredBy: "host",
        message: `Resolving ${ctx.candidate} needs ${pkg}, a ${type} dependency, which this host does not allow.`,
        hint: `Use a release of ${ctx.candidate} whose dependencies come from a registry, or have the host opt in (${e.code === "EALLOWGIT" ? ctx.optIn.git : ctx.optIn.remote}).`,
      };
    }
    default:
      throw createError("COSMO_E_RESOLVE_FAILED", { reason: errorMessage(error), npmCode: e.code }, { cause: error });
  }
}
