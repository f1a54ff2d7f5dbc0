/**
 * Conflicts as data: one shape per kind of trouble that stops a plugin from joining a host (what
 * the API's 409 body carries and a failed record keeps), and the text for people made from them
 * here and only here (`renderConflicts`, `conflictMessage`). Arborist builds its ERESOLVE object
 * the same way and lets npm phrase it elsewhere.
 */
import type { ManifestIssue } from "@cosmo/core";
import type { SkippedVersion } from "./versions";

/** Who holds what is already in place: the host, an installed plugin, or a dependency deeper down. */
export type Holder = { type: "host" } | { type: "plugin"; name: string } | { type: "dependency" };

/** A peer dependency that cannot be satisfied next to what is already placed. */
export interface PeerConflict {
  kind: "peer";
  /** The plugin the conflict is charged to (package name). */
  plugin: string;
  /** The peer package. */
  package: string;
  /** The range the plugin peers. */
  wanted: string;
  /** The version in place, or null when nothing could be placed. */
  found: string | null;
  heldBy: Holder;
  /** The range the holder asked for, when Arborist said. */
  heldRange: string | null;
}

/** A package (the plugin itself or one of its dependencies) the registry does not have. */
export interface NotFoundConflict {
  kind: "not-found";
  plugin: string;
  /** The missing package; equal to `plugin` when the plugin itself is missing. */
  package: string;
}

/** A package that exists, with no version matching the range asked for. */
export interface NoMatchingVersionConflict {
  kind: "no-matching-version";
  plugin: string;
  package: string;
  wanted: string;
  /** The versions the registry has. */
  versions: string[];
}

/** A package whose `engines.node` excludes the Node the host runs. */
export interface EngineConflict {
  kind: "engine";
  plugin: string;
  /** The package declaring the range: the plugin or one of its dependencies. */
  package: string;
  version: string | null;
  /** Its `engines.node` range. */
  wanted: string;
  /** The host's Node version. */
  found: string;
}

/** A plugin whose cosmo.json `cosmo` range excludes the host's @cosmo/core. */
export interface HostRangeConflict {
  kind: "host-range";
  plugin: string;
  /** The manifest's `cosmo` range. */
  wanted: string;
  /** The host's @cosmo/core version. */
  found: string;
}

/** A second copy of a package the host shares with every plugin (one copy only). */
export interface DuplicateSingletonConflict {
  kind: "duplicate-singleton";
  plugin: string;
  package: string;
  /** The version of the second copy. */
  version: string | null;
  /** The version the host shares, or null when the host has none installed. */
  hostVersion: string | null;
}

/** Two plugins serving overlapping webhook prefixes. */
export interface PrefixCollisionConflict {
  kind: "prefix-collision";
  plugin: string;
  prefix: string;
  /** The installed plugin (package name) serving the overlapping prefix. */
  other: string;
  otherPrefix: string;
}

/** Two plugins whose cosmo.json names are equal. */
export interface NameCollisionConflict {
  kind: "name-collision";
  plugin: string;
  /** The cosmo.json name both claim. */
  name: string;
  other: string;
}

/** Why a package is not a Cosmo plugin. */
export type NotAPluginProblem =
  | { problem: "no-manifest" }
  | { problem: "manifest-json"; reason: string }
  | { problem: "manifest-invalid"; issues: ManifestIssue[] };

/** A package that is not a Cosmo plugin: no cosmo.json, or one that does not validate. */
export type NotAPluginConflict = { kind: "not-a-plugin"; plugin: string } & NotAPluginProblem;

/** A git or remote-URL source (the plugin or a dependency) the host has not opted in to. */
export interface ForbiddenSourceConflict {
  kind: "forbidden-source";
  /** The plugin, or the source as given when no name is known. */
  plugin: string;
  /** The source refused: the plugin's own, or a dependency's spec. */
  package: string;
  sourceType: "git" | "remote";
  /** How this host opts in (`--allow-git`, `allowGit: true`). */
  optIn: string;
}

/** The plugin's package is already installed from another source (another version). */
export interface AlreadyInstalledConflict {
  kind: "already-installed";
  plugin: string;
  /** The source asked for. */
  wanted: string;
  /** The source installed now. */
  installedSource: string;
  /** The version installed now, when the current bundle says. */
  installedVersion: string | null;
}

/** One reason a plugin cannot be installed: a discriminated union on `kind`. */
export type Conflict =
  | PeerConflict
  | NotFoundConflict
  | NoMatchingVersionConflict
  | EngineConflict
  | HostRangeConflict
  | DuplicateSingletonConflict
  | PrefixCollisionConflict
  | NameCollisionConflict
  | NotAPluginConflict
  | ForbiddenSourceConflict
  | AlreadyInstalledConflict;

/** What kind of trouble a conflict is. */
export type ConflictKind = Conflict["kind"];

function holderName(holder: Holder): string {
  return holder.type === "host" ? "host" : holder.type === "plugin" ? holder.name : "another dependency";
}

function shownVersions(versions: readonly string[]): string {
  return versions.length > 8 ? `${versions.slice(-8).join(", ")}, ...` : versions.join(", ");
}

function notAPluginReason(c: NotAPluginConflict): string {
  switch (c.problem) {
    case "no-manifest":
      return "it has no cosmo.json at the package root";
    case "manifest-json":
      return `its cosmo.json is not valid JSON (${c.reason})`;
    case "manifest-invalid":
      return `its cosmo.json is invalid: ${c.issues.map((i) => `${i.field}: expected ${i.expected}, found ${i.found}`).join("; ")}`;
  }
}

/** One conflict in sentences: what is wrong, both sides when there are two, and the fix. */
export interface ConflictExplanation {
  message: string;
  hint: string;
  /** "wants" and "found" lines, for conflicts with two sides. */
  sides?: [string, string];
}

/** The sentences for one conflict; the one place conflicts become text. */
function explain(c: Conflict): ConflictExplanation {
  switch (c.kind) {
    case "peer": {
      const holder = holderName(c.heldBy);
      const found = c.found ?? "nothing";
      const isHost = c.heldBy.type === "host";
      const message =
        c.heldBy.type === "plugin" && c.heldRange !== null
          ? `${c.plugin} needs ${c.package}@${c.wanted} as a peer, but ${holder} needs ${c.package}@${c.heldRange}; a peer has one copy, so both cannot be satisfied.`
          : `${c.plugin} needs ${c.package}@${c.wanted} as a peer, but ${isHost ? "the host runs" : `${holder} brings`} ${c.package}@${found}${c.heldRange ? ` (${c.heldRange})` : ""}.`;
      return {
        message,
        hint: isHost
          ? `Install a release of ${c.plugin} that accepts ${c.package}@${found}, or move the host to a ${c.package} matching ${c.wanted}.`
          : c.heldBy.type === "plugin"
            ? `Install only one of ${c.plugin} and ${holder}, or releases of both that accept the same ${c.package} (cosmo-runner plugins outdated lists them).`
            : `Install a release of ${c.plugin} that accepts ${c.package}@${found}.`,
        sides: [`${c.plugin} wants ${c.package} ${c.wanted}`, `found ${c.package} ${found}${isHost || c.heldBy.type === "plugin" ? `, held by ${holder}` : ""}`],
      };
    }
    case "not-found": {
      const self = c.package === c.plugin;
      return self
        ? {
            message: `${c.package} is not in the registry.`,
            hint: `Check the name for typos and that your npm config points at the registry that has it (npm view ${c.package}).`,
          }
        : {
            message: `${c.plugin} depends on ${c.package}, which is not in the registry.`,
            hint: `Ask the author of ${c.plugin} to fix the dependency, or check your npm config reaches the registry that has ${c.package}.`,
          };
    }
    case "no-matching-version": {
      const shown = shownVersions(c.versions);
      const self = c.plugin === c.package;
      return {
        message: `No version of ${c.package} matches ${c.wanted}${self ? "" : ` (wanted by ${c.plugin})`}.`,
        hint: self
          ? `Pick a version that exists: ${shown || "none published"}.`
          : `${c.package} has ${shown || "no versions"}; ask the author of ${c.plugin} to fix the range, or publish a matching ${c.package}.`,
        sides: [`${c.plugin} wants ${c.package} ${c.wanted}`, `found ${c.package} ${shown || "no versions"} in the registry`],
      };
    }
    case "engine": {
      const self = c.plugin === c.package;
      return {
        message: `${self ? c.plugin : `${c.package}@${c.version ?? "?"} (used by ${c.plugin})`} supports Node ${c.wanted}, but the host runs Node ${c.found}.`,
        hint: `Install a release of ${c.plugin} that supports Node ${c.found}, or run the host on a Node matching ${c.wanted}.`,
        sides: [`${c.package} wants node ${c.wanted}`, `found node ${c.found}, held by host`],
      };
    }
    case "host-range":
      return {
        message: `${c.plugin} supports @cosmo/core ${c.wanted}, but this host runs @cosmo/core ${c.found}.`,
        hint: `Install a release of ${c.plugin} made for @cosmo/core ${c.found}, or upgrade the host's @cosmo/core.`,
        sides: [`${c.plugin} wants @cosmo/core ${c.wanted}`, `found @cosmo/core ${c.found}, held by host`],
      };
    case "duplicate-singleton": {
      const host = c.hostVersion ?? "?";
      return {
        message: `The host shares one copy of ${c.package} (${host}) with every plugin, but ${c.plugin} would get its own ${c.package}@${c.version ?? "?"}.`,
        hint: `Install a release of ${c.plugin} whose ${c.package} range accepts ${c.hostVersion ?? "the host's version"} (ideally as a peer dependency).`,
        sides: [`${c.plugin} wants its own ${c.package} ${c.version ?? "?"}`, `found ${c.package} ${host}, held by host`],
      };
    }
    case "prefix-collision":
      return {
        message: `${c.plugin} wants webhook_prefix ${c.prefix}, which overlaps ${c.other}'s ${c.otherPrefix}.`,
        hint: `Two plugins cannot serve the same paths: uninstall ${c.other}, or use a release of ${c.plugin} with another prefix.`,
        sides: [`${c.plugin} wants webhook_prefix ${c.prefix}`, `found webhook_prefix ${c.otherPrefix}, held by ${c.other}`],
      };
    case "name-collision":
      return {
        message: `${c.plugin}'s cosmo.json names the plugin "${c.name}", the name ${c.other} already uses.`,
        hint: `Plugin names are unique within a host: uninstall ${c.other}, or ask the author of ${c.plugin} to rename it.`,
        sides: [`${c.plugin} wants plugin name ${c.name}`, `found plugin name ${c.name}, held by ${c.other}`],
      };
    case "not-a-plugin":
      return {
        message: `${c.plugin} is not a Cosmo plugin: ${notAPluginReason(c)}.`,
        hint: `Check the source names the plugin package (not a library), or add a valid cosmo.json to it (schema: @cosmo/core/cosmo.schema.json).`,
      };
    case "forbidden-source": {
      const type = c.sourceType === "git" ? "git" : "remote URL";
      const self = c.package === c.plugin;
      return {
        message: self
          ? `${c.plugin} is a ${type} source, which this host does not allow.`
          : `Resolving ${c.plugin} needs ${c.package}, a ${type} dependency, which this host does not allow.`,
        hint: self
          ? `Publish the plugin to a registry and install it by name, or have the host opt in (${c.optIn}).`
          : `Use a release of ${c.plugin} whose dependencies come from a registry, or have the host opt in (${c.optIn}).`,
      };
    }
    case "already-installed": {
      const at = c.installedVersion === null ? `from "${c.installedSource}"` : `at ${c.installedVersion} (from "${c.installedSource}")`;
      return {
        message: `${c.plugin} is already installed ${at}; a host holds one version of a plugin.`,
        hint: `Upgrade or downgrade it instead: cosmo-runner plugins upgrade ${c.plugin} "${c.wanted}" (POST /plugins/<id>/upgrade), or uninstall it first.`,
        sides: [`${c.plugin} wanted as ${c.wanted}`, `found ${c.plugin} ${c.installedVersion ?? c.installedSource}, installed`],
      };
    }
  }
}

/**
 * One conflict as sentences, for a client that lays them out itself (the manager page shows the
 * two sides and the fix apart); `renderConflicts` joins the same sentences into one text.
 */
export function explainConflict(conflict: Conflict): ConflictExplanation {
  return explain(conflict);
}

/** One sentence for one conflict (logs, an error's summary); `renderConflicts` gives the whole story. */
export function conflictMessage(conflict: Conflict): string {
  return explain(conflict).message;
}

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
    const { message, hint, sides } = explain(c);
    lines.push("", `${index + 1}. ${c.kind}: ${message}`);
    if (sides !== undefined) lines.push(`   ${sides[0]}`, `   ${sides[1]}`);
    lines.push(`   Fix: ${hint}`);
  }
  return lines.join("\n");
}

/**
 * Renders the versions a range passed over, newest first, one line each with why: what "the
 * newest version that fits" left out. Empty text for none.
 * @example console.log(renderSkipped(result.skipped))
 */
export function renderSkipped(plugin: string, skipped: readonly SkippedVersion[]): string {
  if (skipped.length === 0) return "";
  const lines = [`Passed over ${skipped.length} version${skipped.length === 1 ? "" : "s"} of ${plugin} that do${skipped.length === 1 ? "es" : ""} not fit:`];
  for (const { version, conflicts } of skipped) {
    lines.push(`  ${version}: ${conflicts.map((c) => `${c.kind}: ${explain(c).message}`).join(" ")}`);
  }
  return lines.join("\n");
}
