import { describe, expect, it } from "vitest";
import { candidateVersions, packumentConflicts, type Packument } from "../src/versions";

const packument = (versions: string[], latest?: string): Packument => ({
  name: "p",
  "dist-tags": latest === undefined ? {} : { latest },
  versions: Object.fromEntries(versions.map((version) => [version, { version }])),
});

describe("candidateVersions", () => {
  it("lists what a range may pick, newest first, without prereleases the range does not name", () => {
    expect(candidateVersions(packument(["1.0.0", "2.0.0", "1.1.0", "3.0.0-beta.1"], "2.0.0"), "*")).toEqual(["2.0.0", "1.1.0", "1.0.0"]);
    expect(candidateVersions(packument(["1.0.0", "2.0.0", "1.1.0"], "2.0.0"), "^1")).toEqual(["1.1.0", "1.0.0"]);
    expect(candidateVersions(packument(["1.0.0", "2.0.0-rc.1"], "1.0.0"), ">=2.0.0-rc.0")).toEqual(["2.0.0-rc.1"]);
  });

  it("leaves out versions above `latest` when latest satisfies the range, as npm does", () => {
    expect(candidateVersions(packument(["1.0.0", "1.1.0", "2.0.0"], "1.1.0"), "*")).toEqual(["1.1.0", "1.0.0"]);
    // A range latest does not satisfy may still reach above it.
    expect(candidateVersions(packument(["1.0.0", "1.1.0", "2.0.0"], "1.1.0"), "^2")).toEqual(["2.0.0"]);
  });
});

describe("packumentConflicts", () => {
  const host = { versions: { "@cosmo/core": "0.1.0", "shared-lib": "1.0.0" } };

  it("rules out an engines.node the host's Node does not satisfy, and a peer on a host package it excludes", () => {
    expect(packumentConflicts("p", { version: "2.0.0", engines: { node: "<10" } }, host, "v20.0.0")).toEqual([
      { kind: "engine", plugin: "p", package: "p", version: "2.0.0", wanted: "<10", found: "v20.0.0" },
    ]);
    expect(packumentConflicts("p", { version: "2.0.0", peerDependencies: { "shared-lib": "^2" } }, host, "v20.0.0")).toEqual([
      { kind: "peer", plugin: "p", package: "shared-lib", wanted: "^2", found: "1.0.0", heldBy: { type: "host" }, heldRange: null },
    ]);
  });

  it("leaves to the full check what only a tree can tell: peers on packages the host lacks, optional peers", () => {
    const manifest = {
      version: "1.0.0",
      peerDependencies: { "other-lib": "^2", "shared-lib": "^2" },
      peerDependenciesMeta: { "shared-lib": { optional: true } },
    };
    expect(packumentConflicts("p", manifest, host, "v20.0.0")).toEqual([]);
  });
});
