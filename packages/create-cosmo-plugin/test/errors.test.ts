import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createErrorCodes, CreateError, EXIT_CODES, isCreateError, type CreateErrorCode } from "../src/errors";

const docs = readFileSync(new URL("../../../docs/reference/create-cosmo-plugin.md", import.meta.url), "utf8");
// The reference's error table: "| `COSMO_E_CREATE_...` | <exit> | ..."
const documented = new Map([...docs.matchAll(/^\|\s*`(COSMO_E_CREATE_[A-Z_]+)`\s*\|\s*(\d+)\s*\|/gm)].map((m) => [m[1]!, Number(m[2])]));
const codes = Object.keys(createErrorCodes) as CreateErrorCode[];

describe("the scaffolder's error codes", () => {
  it("are each documented in docs/reference/create-cosmo-plugin.md with their exit code", () => {
    for (const code of codes) expect(documented.get(code), code).toBe(createErrorCodes[code]);
    expect([...documented.keys()].sort()).toEqual([...codes].sort());
  });

  it("list every exit code in the reference's exit code table", () => {
    for (const exit of Object.values(EXIT_CODES)) expect(docs).toMatch(new RegExp(`^\\| ${exit} \\|`, "m"));
  });

  it("are recognised by their brand, not by instanceof", () => {
    const error = new CreateError("COSMO_E_CREATE_USAGE", { reason: "x" });
    expect(error.exitCode).toBe(2);
    expect(isCreateError(error)).toBe(true);
    expect(isCreateError(Object.assign(new Error("x"), { [Symbol.for("cosmo.create.error")]: true }))).toBe(true);
    expect(isCreateError(new Error("x"))).toBe(false);
  });

  it("take their message from core's catalog, built from typed details", () => {
    const error = new CreateError("COSMO_E_CREATE_DIR_NOT_EMPTY", { dir: "/tmp/taken" });
    expect(error.message).toBe("/tmp/taken is not empty. Choose another directory, or pass --force to write into it (files of the same names are overwritten).");
    expect(error.details).toEqual({ dir: "/tmp/taken" });
    // @ts-expect-error the directory is the one detail this message needs
    expect(() => new CreateError("COSMO_E_CREATE_DIR_NOT_EMPTY", {})).not.toThrow();
  });
});
