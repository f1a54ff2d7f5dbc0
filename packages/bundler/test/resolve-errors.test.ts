/**
 * The unit layer under check.test.ts: errors Arborist really threw (recorded against the test
 * registry by fixtures/resolve-errors/record.ts) turned into typed conflicts, with no registry.
 */
import { readFileSync } from "node:fs";
import { isCosmoError } from "@cosmo/core";
import { describe, expect, it } from "vitest";
import { conflictFromResolveError, type ResolveContext } from "../src/resolve-errors";

interface Recorded {
  why: string;
  context: { plugins: string[]; hostDeps: string[]; candidate: string };
  error: Record<string, unknown>;
}

function recorded(name: string): { error: Record<string, unknown>; ctx: ResolveContext } {
  const { context, error } = JSON.parse(readFileSync(new URL(`./fixtures/resolve-errors/${name}.json`, import.meta.url), "utf8")) as Recorded;
  const ctx: ResolveContext = {
    plugins: new Set(context.plugins),
    hostDeps: new Set(context.hostDeps),
    candidate: context.candidate,
    optIn: { git: "allow git", remote: "allow remote" },
  };
  return { error, ctx };
}

describe("conflictFromResolveError, on recorded Arborist errors", () => {
  it("names the host as holder when a plugin's peer meets the host's own copy (current/edge shape)", () => {
    const { error, ctx } = recorded("eresolve-plugin-vs-host");
    expect(conflictFromResolveError(error, ctx)).toEqual({
      kind: "peer",
      plugin: "plugin-peer-shared-2",
      package: "shared-lib",
      wanted: "^2.0.0",
      found: "1.0.0",
      heldBy: { type: "host" },
      // The host's side is a file: link to its installed copy, not a range anyone chose.
      heldRange: null,
    });
  });

  it("names both plugins when their peers disagree (peerConflict shape)", () => {
    const { error, ctx } = recorded("eresolve-plugin-vs-plugin");
    expect(error.current).toBeNull();
    expect(conflictFromResolveError(error, ctx)).toEqual({
      kind: "peer",
      plugin: "plugin-peer-shared-2",
      package: "shared-lib",
      wanted: "^2.0.0",
      found: "1.0.0",
      heldBy: { type: "plugin", name: "plugin-peer-shared-1" },
      heldRange: "^1.0.0",
    });
  });

  it("names the host's linked @cosmo/core against a plugin peering another major", () => {
    const { error, ctx } = recorded("eresolve-plugin-vs-linked-core");
    expect(conflictFromResolveError(error, ctx)).toEqual({
      kind: "peer",
      plugin: "plugin-peer-core-2",
      package: "@cosmo/core",
      wanted: "^2.0.0",
      found: expect.stringMatching(/^0\./),
      heldBy: { type: "host" },
      heldRange: null,
    });
  });

  it("calls the holder a dependency when neither the host nor a plugin can be named", () => {
    const { error, ctx } = recorded("eresolve-plugin-vs-host");
    const conflict = conflictFromResolveError(error, { ...ctx, hostDeps: new Set() });
    expect(conflict).toMatchObject({ kind: "peer", plugin: "plugin-peer-shared-2", heldBy: { type: "dependency" } });
  });

  it("turns E404 into not-found, blaming the plugin whose dependency is missing", () => {
    const { error, ctx } = recorded("e404-missing-dependency");
    expect(conflictFromResolveError(error, ctx)).toEqual({ kind: "not-found", plugin: "plugin-missing-dep", package: "cosmo-fixture-no-such-package" });
  });

  it("blames an installed plugin, not the candidate, when the missing dependency is under it", () => {
    const { error, ctx } = recorded("e404-missing-dependency");
    const conflict = conflictFromResolveError(error, { ...ctx, plugins: new Set(["plugin-missing-dep", "plugin-ok"]), candidate: "plugin-ok" });
    expect(conflict).toMatchObject({ kind: "not-found", plugin: "plugin-missing-dep" });
  });

  it("turns ETARGET into no-matching-version with the versions there are", () => {
    const { error, ctx } = recorded("etarget-no-matching-version");
    expect(conflictFromResolveError(error, ctx)).toEqual({
      kind: "no-matching-version",
      plugin: "plugin-bad-version",
      package: "shared-lib",
      wanted: "^9.0.0",
      versions: ["1.0.0", "2.0.0"],
    });
  });

  it("throws COSMO_E_RESOLVE_FAILED for an error that is not about the plugins", () => {
    const { ctx } = recorded("e404-missing-dependency");
    const offline = Object.assign(new Error("request to http://127.0.0.1:9/x failed, reason: connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    let thrown: unknown;
    try {
      conflictFromResolveError(offline, ctx);
    } catch (error) {
      thrown = error;
    }
    expect(isCosmoError(thrown) && thrown.code).toBe("COSMO_E_RESOLVE_FAILED");
    expect((thrown as Error).message).toContain("ECONNREFUSED");
  });
});
