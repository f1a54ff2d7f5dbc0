/**
 * Turns what Arborist throws while building the ideal tree (ERESOLVE, E404, ETARGET, EALLOW*) into
 * conflicts that name the plugin on each side. Anything else is not a conflict but a failure to
 * resolve (network, auth) and is thrown as `COSMO_E_RESOLVE_FAILED`.
 */
import { createError, errorMessage } from "@cosmo/core";
import type { Conflict, Holder, PeerConflict } from "./conflicts";
import { nearestDependent } from "./nearest-dependent";

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
  const found = nearestDependent(
    node,
    (current) => (current.dependents ?? []).map((edge) => edge.from),
    (current) => current.name !== undefined && ctx.plugins.has(current.name),
  );
  return found?.name;
}

/** Who holds a placed node: the host (one of its own deps), a plugin, or the tree at large. */
function holderOf(node: ExplainedNode | undefined, ctx: ResolveContext): Holder {
  if (node?.name !== undefined && ctx.hostDeps.has(node.name)) return { type: "host" };
  const plugin = pluginOf(node, ctx);
  return plugin === undefined ? { type: "dependency" } : { type: "plugin", name: plugin };
}

/** The plugin behind an E404/ETARGET's `requiredBy` location (`.`, `node_modules/<plugin>/...`). */
function pluginAt(location: string | undefined, missing: string, ctx: ResolveContext): string {
  if (location === undefined || location === "." || location === "") {
    return ctx.plugins.has(missing) ? missing : ctx.candidate;
  }
  const match = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(location);
  return match?.[1] !== undefined && ctx.plugins.has(match[1]) ? match[1] : ctx.candidate;
}

function peerConflict(e: ResolveError, ctx: ResolveContext): PeerConflict {
  // Two plugins' peers: `current` is what one plugin's peer placed, `peer` what the other needs.
  if (e.peerConflict?.peer !== undefined) {
    const { current, peer } = e.peerConflict;
    const wantedEdge = peer.dependents?.find((d) => d.type?.startsWith("peer")) ?? peer.dependents?.[0];
    const heldEdge = current?.dependents?.find((d) => d.type?.startsWith("peer")) ?? current?.dependents?.[0];
    return {
      kind: "peer",
      plugin: pluginOf(peer, ctx) ?? ctx.candidate,
      package: peer.name ?? current?.name ?? "?",
      wanted: wantedEdge?.spec ?? peer.version ?? "?",
      found: current?.version ?? null,
      heldBy: holderOf(current, ctx),
      heldRange: heldEdge?.spec ?? null,
    };
  }
  // A plugin against what is already placed (the host's own copy, linked, or another plugin's).
  const current = e.current ?? undefined;
  return {
    kind: "peer",
    plugin: pluginOf(e.edge?.from, ctx) ?? ctx.candidate,
    package: e.edge?.name ?? current?.name ?? "?",
    wanted: e.edge?.spec ?? "?",
    found: current?.version ?? null,
    heldBy: holderOf(current, ctx),
    // The host's side is a `file:` link to its installed copy: a path, not a range anyone chose.
    heldRange: e.currentEdge?.spec === undefined || e.currentEdge.spec.startsWith("file:") ? null : e.currentEdge.spec,
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
      return { kind: "not-found", plugin: pluginAt(e.requiredBy, missing, ctx), package: missing };
    }
    case "ETARGET": {
      const pkg = e.name ?? "?";
      return { kind: "no-matching-version", plugin: pluginAt(e.requiredBy, pkg, ctx), package: pkg, wanted: e.wanted ?? "?", versions: e.versions ?? [] };
    }
    case "EALLOWGIT":
    case "EALLOWREMOTE": {
      const git = e.code === "EALLOWGIT";
      return {
        kind: "forbidden-source",
        plugin: ctx.candidate,
        package: e.package ?? "?",
        sourceType: git ? "git" : "remote",
        optIn: git ? ctx.optIn.git : ctx.optIn.remote,
      };
    }
    default:
      throw createError("COSMO_E_RESOLVE_FAILED", { reason: errorMessage(error), npmCode: e.code }, { cause: error });
  }
}
