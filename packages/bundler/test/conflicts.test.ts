import { describe, expect, it } from "vitest";
import { explainConflict, renderConflicts, type Conflict } from "../src/conflicts";

const peer: Conflict = {
  kind: "peer",
  plugin: "plugin-peer-shared-2",
  package: "shared-lib",
  wanted: "^2.0.0",
  found: "1.0.0",
  heldBy: { type: "plugin", name: "plugin-peer-shared-1" },
  heldRange: "^1.0.0",
};

describe("renderConflicts", () => {
  it("names the plugin, both sides with their versions, and the fix", () => {
    const text = renderConflicts([peer]);
    expect(text).toContain("Cosmo could not add plugin-peer-shared-2: 1 conflict.");
    expect(text).toContain("plugin-peer-shared-2 needs shared-lib@^2.0.0 as a peer, but plugin-peer-shared-1 needs shared-lib@^1.0.0");
    expect(text).toContain("plugin-peer-shared-2 wants shared-lib ^2.0.0");
    expect(text).toContain("found shared-lib 1.0.0, held by plugin-peer-shared-1");
    expect(text).toContain("Fix: Install only one of");
  });

  it("is made of the sentences explainConflict gives a client that lays them out itself", () => {
    const explained = explainConflict(peer);
    expect(explained.sides).toEqual(["plugin-peer-shared-2 wants shared-lib ^2.0.0", "found shared-lib 1.0.0, held by plugin-peer-shared-1"]);
    const text = renderConflicts([peer]);
    for (const sentence of [explained.message, explained.hint, ...explained.sides!]) expect(text).toContain(sentence);
  });

  it("numbers several conflicts and says when there are none", () => {
    const engine: Conflict = { kind: "engine", plugin: "p", package: "p", version: "1.0.0", wanted: "<10", found: "v20.0.0" };
    const text = renderConflicts([peer, engine]);
    expect(text).toContain("2 conflicts.");
    expect(text).toMatch(/^2\. engine: p supports Node <10, but the host runs Node v20.0.0/m);
    expect(renderConflicts([])).toBe("No conflicts.");
  });

  it("shows no 'wants/found' lines for a conflict about the plugin alone (not a plugin, refused source)", () => {
    const text = renderConflicts([{ kind: "not-a-plugin", plugin: "p", problem: "no-manifest" }]);
    expect(text).toContain("1. not-a-plugin: p is not a Cosmo plugin: it has no cosmo.json at the package root.");
    expect(text).toContain("Fix: Check the source names the plugin package");
    expect(text).not.toContain("p wants p");
    expect(text).not.toContain("held by p");
  });

  it("lists each invalid field of a manifest, from the issues kept as data", () => {
    const text = renderConflicts([
      { kind: "not-a-plugin", plugin: "p", problem: "manifest-invalid", issues: [{ field: "plugin_class", expected: "a string", found: "nothing" }] },
    ]);
    expect(text).toContain("plugin_class: expected a string, found nothing");
  });

  it("points an already-installed plugin at upgrade", () => {
    const text = renderConflicts([
      { kind: "already-installed", plugin: "echo", wanted: "echo@9.9.9", installedSource: "echo@1.0.0", installedVersion: "1.0.0" },
    ]);
    expect(text).toContain("echo is already installed at 1.0.0");
    expect(text).toContain('cosmo-runner plugins upgrade echo "echo@9.9.9"');
  });

  it("keeps every field data: no value of any shape holds a sentence", () => {
    const all: Conflict[] = [
      peer,
      { kind: "not-found", plugin: "p", package: "q" },
      { kind: "no-matching-version", plugin: "p", package: "q", wanted: "^9", versions: ["1.0.0"] },
      { kind: "host-range", plugin: "p", wanted: ">=99", found: "0.1.0" },
      { kind: "duplicate-singleton", plugin: "p", package: "@cosmo/core", version: "9.0.0", hostVersion: "0.1.0" },
      { kind: "prefix-collision", plugin: "p", prefix: "/ok", other: "q", otherPrefix: "/ok" },
      { kind: "name-collision", plugin: "p", name: "ok", other: "q" },
      { kind: "forbidden-source", plugin: "github:a/b", package: "github:a/b", sourceType: "git", optIn: "--allow-git" },
    ];
    for (const c of all) {
      for (const value of Object.values(c)) if (typeof value === "string") expect(value).not.toMatch(/\. |\.$/);
    }
  });
});

describe("collisionConflicts", () => {
  it("counts a prefix only when the plugin serves routes (requires_webhooks), as the runtime does", async () => {
    const { collisionConflicts } = await import("../src/plugin-checks");
    const { validateManifest } = await import("@cosmo/core");
    const m = (name: string, webhooks: boolean) =>
      validateManifest({ name, version: "1.0.0", plugin_class: ":P", requires_webhooks: webhooks, webhook_prefix: "/same" }, name);
    expect(collisionConflicts("b", m("b", true), new Map([["a", m("a", false)]]))).toEqual([]);
    expect(collisionConflicts("b", m("b", true), new Map([["a", m("a", true)]]))).toEqual([
      { kind: "prefix-collision", plugin: "b", prefix: "/same", other: "a", otherPrefix: "/same" },
    ]);
  });
});
