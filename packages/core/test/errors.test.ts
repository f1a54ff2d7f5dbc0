import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createError, deserializeError, errorCatalog, isCosmoError, type CosmoErrorCode } from "../src/index";

const docs = readFileSync(new URL("../../../docs/reference/errors.md", import.meta.url), "utf8");
// Each code is documented under a heading of its own: "### COSMO_E_..."
const documented = [...docs.matchAll(/^###\s+`?(COSMO_E_[A-Z0-9_]+)`?\s*$/gm)].map((m) => m[1]);
const codes = Object.keys(errorCatalog) as CosmoErrorCode[];

/** The detail keys a code's message reads, found by rendering it with a recording object. */
function keysRead(code: CosmoErrorCode): string[] {
  const read = new Set<string>();
  const recorder = new Proxy({}, { get: (_target, key) => (typeof key === "string" && read.add(key), undefined) });
  (errorCatalog[code].message as (details: object) => string)(recorder);
  return [...read];
}

/** Every detail the message reads, each a recognisable value; `fix` is a fix as callers pass one. */
function detailsOf(code: CosmoErrorCode): Record<string, string> {
  return Object.fromEntries(keysRead(code).map((key) => [key, key === "fix" ? "Run `cosmo-runner plugins list` to see the ids." : `«${key}»`]));
}

/**
 * The clauses after the first (which says what went wrong) that tell the reader what to do: an
 * imperative, or a command, flag, variable, endpoint or file to reach for.
 */
function fixSentences(message: string): string[] {
  const clauses = message.split(/(?<=[.!?])\s+(?=[A-Z])|[;:]\s+/).slice(1);
  return clauses.filter((clause) => FIX_VERB.test(clause) || /`[^`]+`|--[a-z]|COSMO_[A-Z_]+|POST \/|\b[\w-]+\.(json|txt|tgz|lock)\b/.test(clause));
}
const FIX_VERB =
  /^(?:\S+\s+)?(add|build|call|change|check|choose|delete|export|find|fix|give|install|keep|leave|list|make|mount|pass|pick|point|publish|raise|read|release|remove|report|restart|retry|run|see|send|set|start|stop|uninstall|unregister|use)\b/i;

/** Details a message reads only to choose its wording, not to show. */
const CONDITIONAL_DETAILS = new Set(["COSMO_E_WORKER_START_FAILED.previousServing"]);
/** Not a failure to fix: the user asked for it. */
const NOTHING_TO_FIX = new Set<CosmoErrorCode>(["COSMO_E_CREATE_CANCELLED"]);

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

  it("gives every code a message built from its details, with no placeholder left", () => {
    for (const code of codes) {
      const details = detailsOf(code);
      const error = createError(code, details);
      expect(error.code).toBe(code);
      expect(error.status).toBe(errorCatalog[code].status);
      expect(error.toJSON().error.code).toBe(code);
      // A detail the template reads but nobody passed renders as a lone "?".
      expect(error.message, code).not.toMatch(/(^|[\s("'`:<])\?($|[\s)"'`.,;:>])/);
      expect(error.message, code).not.toMatch(/undefined|\[object Object\]|NaN/);
      for (const [key, value] of Object.entries(details)) {
        if (!CONDITIONAL_DETAILS.has(`${code}.${key}`)) expect(error.message, `${code} shows ${key}`).toContain(value);
      }
    }
  });

  it("says what to do: every message has a sentence that names a fix, and its docs section a **Fix:**", () => {
    const withoutFix: string[] = [];
    for (const code of codes) {
      if (NOTHING_TO_FIX.has(code)) continue;
      const message = createError(code, detailsOf(code)).message;
      if (fixSentences(message).length === 0) withoutFix.push(`${code}: ${message}`);
      const section = docs.split(/^###\s+/m).find((s) => s.replace(/`/g, "").startsWith(code)) ?? "";
      expect(section, code).toMatch(/\*\*Fix:\*\*\s+\S/);
    }
    expect(withoutFix).toEqual([]);
  });

  it("types each code's details: a missing or misspelt key the message needs does not compile", () => {
    // @ts-expect-error "reason" is misspelt: the message would say "?" where the reason goes
    const misspelt = () => createError("COSMO_E_SPEC_INVALID", { source: "x@", reasn: "it names no version" });
    // @ts-expect-error the plugin's name is missing
    const missing = () => createError("COSMO_E_PLUGIN_NOT_FOUND", {});
    // Optional keys may be left out, and other details may travel beside the message's own.
    const fine = createError("COSMO_E_CONFLICT", { source: "a@1", summary: "it peers b@2", conflicts: [] });
    expect([typeof misspelt, typeof missing]).toEqual(["function", "function"]);
    expect(fine.message).toBe("a@1 cannot be installed: it peers b@2. See details.conflicts for each side and how to fix it.");
  });

  it("rebuilds an error from its JSON with the same code, message and details", () => {
    const sent = createError("COSMO_E_SPEC_INVALID", { source: "x@", reason: "it names no version" });
    const back = deserializeError(JSON.parse(JSON.stringify(sent.toJSON())).error);
    expect(isCosmoError(back)).toBe(true);
    expect(back.toJSON()).toEqual(sent.toJSON());
    expect(back.status).toBe(422);
  });

  it("keeps the words of a code this copy of core does not know, as COSMO_E_INTERNAL", () => {
    const back = deserializeError({ code: "COSMO_E_FROM_THE_FUTURE", message: "a newer runner said so" }, { status: 418 });
    expect(back.code).toBe("COSMO_E_INTERNAL");
    expect(back.message).toBe("a newer runner said so");
    expect(back.details).toEqual({ reason: "a newer runner said so", code: "COSMO_E_FROM_THE_FUTURE", status: 418 });
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
