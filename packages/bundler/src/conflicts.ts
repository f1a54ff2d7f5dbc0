/**
 * Conflicts as data: one shape for everything that stops a plugin from joining a host (what the
 * API's 409 body carries), and `renderConflicts` for people (CLI, logs). Arborist builds its
 * ERESOLVE object the same way and lets npm phrase it elsewhere.
 */

/** What kind of trouble a conflict is. */
export type ConflictKind =
  | "peer"
  | "not-found"
  | "no-matching-version"
  | "engine"
  | "host-range"
  | "duplicate-singleton"
  | "prefix-collision"
  | "name-collision"
  | "not-a-plugin"
  | "forbidden-source";

/** One reason a plugin cannot be installed, naming both sides. */
export interface Conflict {
  kind: ConflictKind;
  /** The plugin (package name, or the source when no name is known) the conflict is charged to. */
  plugin: string;
  /** The package the two sides disagree on (a dependency, `node`, `@cosmo/core`, a prefix...). */
  package: string;
  /** What the plugin wants: a range, a prefix, a name. */
  wanted: string;
  /** What is there instead: a version, "nothing", the other plugin's value. */
  found: string;
  /** Who holds `found`: "host", another plugin's name, or the registry. */
  requiredBy: string;
  /** One sentence for a person. */
  message: string;
  /** What would fix it. */
  hint: string;
}

// Kinds about the plugin alone, with no other side to show.
const SELF_KINDS: ReadonlySet<ConflictKind> = new Set(["not-a-plugin", "forbidden-source"]);

/**
 * Renders conflicts as text a person reads, in the tone of npm's ERESOLVE explanation: what was
 * being installed, each side with its range, and what to do.
 * @example console.error(renderConflicts(result.conflicts))
 */
export function renderConflicts(conflicts: readonly Conflict[]): string {
  if (conflicts.length === 0) return "No conflicts.";
  const plugins = [...new Set(conflicts.map((c) => c.plugin))];
  const lines = [
    `Cosmo could not add ${plugins.join(", ")}: ${conflicts.length} conflict${conflicts.length === 1 ? "" : "s"}.`,
  ];
  for (const [index, c] of conflicts.entries()) {
    lines.push("", `${index + 1}. ${c.kind}: ${c.message}`);
    // The two sides, when there are two: a plugin that is not a plugin, or a refused source,
    // has only itself, and "p wants p ..." would say nothing the message did not.
    if (!SELF_KINDS.has(c.kind)) {
      const holder = c.requiredBy === "" || c.requiredBy === c.plugin ? "" : `, held by ${c.requiredBy}`;
      lines.push(`   ${c.plugin} wants ${c.package} ${c.wanted}`, `   found ${c.package} ${c.found}${holder}`);
    }
    lines.push(`   Fix: ${c.hint}`);
  }
  return lines.join("\n");
}
