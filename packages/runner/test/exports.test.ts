/**
 * The runner's public API is what src/index.ts exports, and each name is documented in
 * docs/reference/runner-api.md: this keeps the two in step, types included (read from the
 * index's text, as types leave no trace at run time).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as runner from "../src/index";

const index = readFileSync(new URL("../src/index.ts", import.meta.url), "utf8");
const docs = readFileSync(new URL("../../../docs/reference/runner-api.md", import.meta.url), "utf8");

/** Every name exported by the index, values and types alike. */
function exportedNames(): string[] {
  const names = new Set(Object.keys(runner));
  for (const match of index.matchAll(/^export type \{([^}]+)\}/gm)) {
    for (const name of (match[1] ?? "").split(",")) if (name.trim()) names.add(name.trim());
  }
  return [...names].sort();
}

/** Names the page's tables list in their first column (`name(args)` or `name`). */
const documented = new Set([...docs.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)(?:\([^`]*\))?`/g)].map((m) => m[1] as string));

describe("cosmo-runner's exports", () => {
  it("documents every exported name in docs/reference/runner-api.md", () => {
    expect(exportedNames().filter((name) => !documented.has(name))).toEqual([]);
  });

  it("keeps internals out of the public API", () => {
    for (const name of ["listenNode", "tokensEqual", "countPlugins", "bundleToLoad", "workerOperations", "writeRunnerFile"]) {
      expect(exportedNames(), name).not.toContain(name);
    }
  });
});
