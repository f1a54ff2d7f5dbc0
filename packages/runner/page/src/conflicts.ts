/**
 * A refused install, explained: each conflict with both sides (who wants which range of which
 * package, what is there and who holds it) and the fix, from the conflicts as data that the
 * runner's 409 carries (and that records keep).
 */
import { h } from "./dom";

/** One conflict as the runner sends it (bundler's Conflict). */
export interface Conflict {
  kind: string;
  plugin: string;
  package: string;
  wanted: string;
  found: string;
  requiredBy: string;
  message: string;
  hint: string;
}

const KINDS: Record<string, string> = {
  peer: "Peer dependency conflict",
  "not-found": "Package not found",
  "no-matching-version": "No matching version",
  engine: "Engine mismatch",
  "host-range": "Host API out of range",
  "duplicate-singleton": "Shared package would be duplicated",
  "prefix-collision": "Route prefix already taken",
  "name-collision": "Name already taken",
  "not-a-plugin": "Not a Cosmo plugin",
  "forbidden-source": "Source not allowed",
  integrity: "Integrity mismatch",
};

// Kinds about the plugin alone: there is no other side to show.
const SELF_KINDS = new Set(["not-a-plugin", "forbidden-source"]);

/** True when `value` looks like a list of conflicts (a 409's details.conflicts, a record's conflicts). */
export function isConflictList(value: unknown): value is Conflict[] {
  return Array.isArray(value) && value.length > 0 && value.every((c) => typeof c === "object" && c !== null && "kind" in c && "message" in c);
}

/** The explanation block for one source's conflicts. */
export function renderConflicts(source: string, conflicts: Conflict[], headingLevel: "h3" | "h4" = "h3"): HTMLElement {
  const title = `Why ${source} cannot be installed: ${conflicts.length} conflict${conflicts.length === 1 ? "" : "s"}`;
  const heading = document.createElement(headingLevel);
  heading.textContent = title;
  return h(
    "div",
    { class: "conflicts" },
    heading,
    h("ol", {}, ...conflicts.map((c) => renderConflict(c))),
  );
}

function renderConflict(c: Conflict): HTMLElement {
  const sides = SELF_KINDS.has(c.kind)
    ? null
    : h(
        "dl",
        { class: "sides" },
        h("div", { class: "side wants" }, h("dt", {}, `${c.plugin} wants`), h("dd", {}, h("code", {}, `${c.package} ${c.wanted}`))),
        h(
          "div",
          { class: "side found" },
          h("dt", {}, c.requiredBy && c.requiredBy !== c.plugin ? `Found, held by ${c.requiredBy}` : "Found"),
          h("dd", {}, h("code", {}, `${c.package} ${c.found}`)),
        ),
      );
  return h(
    "li",
    { class: "conflict" },
    h("p", { class: "kind" }, KINDS[c.kind] ?? c.kind),
    h("p", {}, c.message),
    sides,
    h("p", { class: "fix" }, h("strong", {}, "Fix: "), c.hint),
  );
}
