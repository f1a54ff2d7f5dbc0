/**
 * A refused install, explained: each conflict with both sides (who wants which range of which
 * package, what is there and who holds it) and the fix. The runner's 409 carries the conflicts
 * as data (`details.conflicts`) and each in sentences (`details.explanations`, the same words
 * the CLI prints); the page lays them out and writes none of the words itself.
 */
import { h } from "./dom";

/** One conflict as data (bundler's Conflict: one shape per kind; the page reads the common fields). */
export interface Conflict {
  kind: string;
  plugin: string;
  [field: string]: unknown;
}

/** One conflict in sentences (bundler's ConflictExplanation). */
export interface Explanation {
  message: string;
  hint: string;
  sides?: [string, string];
}

/** What a refused install sends: the conflicts and their explanations, index for index. */
export interface ConflictReport {
  conflicts: Conflict[];
  explanations: Explanation[];
}

const KINDS: Record<string, string> = {
  peer: "Peer dependency conflict",
  "not-found": "Package not found",
  "no-matching-version": "No matching version",
  engine: "Node version out of range",
  "host-range": "Host API out of range",
  "duplicate-singleton": "Shared package would be duplicated",
  "prefix-collision": "Route prefix already taken",
  "name-collision": "Plugin name already taken",
  "not-a-plugin": "Not a Cosmo plugin",
  "forbidden-source": "Source not allowed",
  "already-installed": "Already installed at another version",
};

/** A conflict kind as a person reads it ("Peer dependency conflict"). */
export function kindLabel(kind: string): string {
  return KINDS[kind] ?? kind;
}

const isExplanation = (e: unknown): e is Explanation =>
  typeof e === "object" && e !== null && typeof (e as Explanation).message === "string" && typeof (e as Explanation).hint === "string";

/** The conflicts of an error's details, when it carries them with their explanations. */
export function conflictReportOf(details: Record<string, unknown> | undefined): ConflictReport | null {
  const conflicts = details?.conflicts;
  const explanations = details?.explanations;
  if (!Array.isArray(conflicts) || conflicts.length === 0) return null;
  if (!conflicts.every((c) => typeof c === "object" && c !== null && typeof (c as Conflict).kind === "string")) return null;
  if (Array.isArray(explanations) && explanations.length === conflicts.length && explanations.every(isExplanation)) {
    return { conflicts: conflicts as Conflict[], explanations };
  }
  // A runner whose conflicts carry their own sentences.
  if (conflicts.every(isExplanation)) return { conflicts: conflicts as unknown as Conflict[], explanations: conflicts as unknown as Explanation[] };
  return null;
}

/** The explanation block for one source's conflicts; its heading takes the focus (tabindex -1). */
export function renderConflicts(source: string, report: ConflictReport): HTMLElement {
  const count = report.conflicts.length;
  return h(
    "div",
    { class: "conflicts" },
    h("h4", { tabindex: "-1" }, `Why ${source} cannot be installed: ${count} conflict${count === 1 ? "" : "s"}`),
    h("ol", {}, ...report.conflicts.map((c, i) => renderConflict(c, report.explanations[i]!))),
  );
}

/** "x wants @cosmo/core ^2.0.0" → ["x wants", "@cosmo/core ^2.0.0"]; "found y 1.0.0, held by host" → ["Found, held by host", "y 1.0.0"]. */
function side(text: string, fallback: string): [string, string] {
  const wants = /^(.*? (?:wants|wanted as)) (.*)$/.exec(text);
  if (wants) return [wants[1]!, wants[2]!];
  const found = /^found (.*?)(?:, (held by .*|installed))?$/.exec(text);
  if (found) return [found[2] ? `Found, ${found[2]}` : "Found", found[1]!];
  return [fallback, text];
}

function renderConflict(c: Conflict, e: Explanation): HTMLElement {
  const sides = e.sides
    ? h(
        "dl",
        { class: "sides" },
        ...e.sides.map((text, i) => {
          const [label, value] = side(text, i === 0 ? "Wants" : "Found");
          return h("div", { class: `side ${i === 0 ? "wants" : "found"}` }, h("dt", {}, label), h("dd", {}, h("code", {}, value)));
        }),
      )
    : null;
  return h(
    "li",
    { class: "conflict" },
    h("p", { class: "kind" }, KINDS[c.kind] ?? c.kind),
    h("p", {}, e.message),
    sides,
    h("p", { class: "fix" }, h("strong", {}, "Fix: "), e.hint),
  );
}
