import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createError, errorCatalog, isCosmoError, type CosmoErrorCode } from "../src/index";

const docs = readFileSync(new URL("../../../docs/reference/errors.md", import.meta.url), "utf8");
// Each code is documented under a heading of its own: "### COSMO_E_..."
const documented = [...docs.matchAll(/^###\s+`?(COSMO_E_[A-Z0-9_]+)`?\s*$/gm)].map((m) => m[1]);
const codes = Object.keys(errorCatalog) as CosmoErrorCode[];

describe("error codes", () => {
  it("documents every code in docs/reference/errors.md", () => {
    expect(codes.filter((c) => !documented.includes(c))).toEqual([]);
  });

  it("documents no code that does not exist", () => {
    expect(documented.filter((c) => !codes.includes(c as CosmoErrorCode))).toEqual([]);
  });

  it("documents each code once, with its HTTP status", () => {
    expect(new Set(documented).size).toBe(documented.length);
    for (const code of codes) {
      const section = docs.split(/^###\s+/m).find((s) => s.replace(/`/g, "").startsWith(code)) ?? "";
      expect(section, code).toMatch(new RegExp(`Status: ${errorCatalog[code].status}\\b`));
    }
  });

  it("gives every code a message that says what to do, built from its details", () => {
    for (const code of codes) {
      const error = createError(code, { package: "pkg-a", plugin: "plugin-a", source: "src-a" });
      expect(error.code).toBe(code);
      expect(error.status).toBe(errorCatalog[code].status);
      expect(error.message.length, code).toBeGreaterThan(20);
      expect(error.toJSON().error.code).toBe(code);
    }
  });

  it("recognises a Cosmo error by its brand, not by instanceof", () => {
    const error = createError("COSMO_E_PLUGIN_NOT_FOUND", { plugin: "x" });
    // A copy from another instance of @cosmo/core: same brand, other class.
    const foreign = Object.assign(new Error("x"), { [Symbol.for("cosmo.error")]: true, code: "COSMO_E_PLUGIN_NOT_FOUND" });
    expect(isCosmoError(error)).toBe(true);
    expect(isCosmoError(foreign)).toBe(true);
    expect(isCosmoError(new Error("plain"))).toBe(false);
    expect(isCosmoError(null)).toBe(false);
  });
});
