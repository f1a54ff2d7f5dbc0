import { describe, expect, it } from "vitest";
import { renderConflicts, type Conflict } from "../src/conflicts";

const peer: Conflict = {
  kind: "peer",
  plugin: "plugin-peer-shared-2",
  package: "shared-lib",
  wanted: "^2.0.0",
  found: "1.0.0",
  requiredBy: "plugin-peer-shared-1",
  message: "plugin-peer-shared-2 needs shared-lib@^2.0.0 as a peer, but plugin-peer-shared-1 needs shared-lib@^1.0.0.",
  hint: "Install only one of plugin-peer-shared-2 and plugin-peer-shared-1.",
};

describe("renderConflicts", () => {
  it("names the plugin, both sides with their versions, and the fix", () => {
    const text = renderConflicts([peer]);
    expect(text).toContain("Cosmo could not add plugin-peer-shared-2: 1 conflict.");
    expect(text).toContain("plugin-peer-shared-2 wants shared-lib ^2.0.0");
    expect(text).toContain("found shared-lib 1.0.0, held by plugin-peer-shared-1");
    expect(text).toContain("Fix: Install only one of");
  });

  it("numbers several conflicts and says when there are none", () => {
    const text = renderConflicts([peer, { ...peer, kind: "engine", package: "node" }]);
    expect(text).toContain("2 conflicts.");
    expect(text).toMatch(/^2\. engine: /m);
    expect(renderConflicts([])).toBe("No conflicts.");
  });

  it("shows no 'wants/found' lines for a conflict about the plugin alone (not a plugin, refused source)", () => {
    const text = renderConflicts([
      {
        kind: "not-a-plugin",
        plugin: "p",
        package: "p",
        wanted: "a valid cosmo.json",
        found: "no cosmo.json",
        requiredBy: "p",
        message: "p is not a Cosmo plugin: it has no cosmo.json at the package root",
        hint: "Add a cosmo.json.",
      },
    ]);
    expect(text).toContain("1. not-a-plugin: p is not a Cosmo plugin");
    expect(text).toContain("Fix: Add a cosmo.json.");
    expect(text).not.toContain("p wants p");
    expect(text).not.toContain("held by p");
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
      expect.objectContaining({ kind: "prefix-collision", requiredBy: "a", wanted: "/same", found: "/same" }),
    ]);
  });
});
