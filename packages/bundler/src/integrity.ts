/**
 * Tampering, named: a tarball whose bytes do not match the integrity pinned for it (in the
 * bundle's lockfile, or the registry's packument) fails inside npm's fetchers with ssri's
 * EINTEGRITY, which says neither which package nor that it is not a network problem. This turns
 * it into `COSMO_E_INTEGRITY` naming the package, the expected and the actual integrity.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createError, type CosmoError } from "@cosmo/core";

/** What ssri puts on an integrity failure (and npm passes up, sometimes as a cause). */
interface IntegrityFailure {
  code?: string;
  expected?: unknown;
  found?: unknown;
  sri?: unknown;
  cause?: unknown;
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const s = String(value);
  return s === "" || s === "[object Object]" ? undefined : s;
}

/** The EINTEGRITY error in `error` or its causes, if any. */
export function findIntegrityFailure(error: unknown): IntegrityFailure | undefined {
  for (let e = error as IntegrityFailure | undefined, depth = 0; e && depth < 5; e = e.cause as IntegrityFailure | undefined, depth++) {
    if (e.code === "EINTEGRITY") return e;
  }
  return undefined;
}

/** The package a lockfile pins to `integrity`, found by its integrity (each tarball's is unique). */
export async function packageOfIntegrity(lockfileDir: string, integrity: string): Promise<string | undefined> {
  let lock: { packages?: Record<string, { name?: string; integrity?: string; version?: string }> };
  try {
    lock = JSON.parse(await readFile(join(lockfileDir, "package-lock.json"), "utf8")) as typeof lock;
  } catch {
    return undefined;
  }
  const wanted = integrity.split(/\s+/);
  for (const [location, entry] of Object.entries(lock.packages ?? {})) {
    if (entry.integrity === undefined || !entry.integrity.split(/\s+/).some((i) => wanted.includes(i))) continue;
    const name = entry.name ?? location.replace(/^.*node_modules\//, "");
    return entry.version === undefined ? name : `${name}@${entry.version}`;
  }
  return undefined;
}

/**
 * `COSMO_E_INTEGRITY` for an error caused by an integrity mismatch, else undefined. `pkg` names
 * the package when the caller knows it; else it is looked up by integrity in `lockfileDir`'s lock.
 */
export async function integrityError(error: unknown, where: { pkg?: string; lockfileDir?: string } = {}): Promise<CosmoError | undefined> {
  const failure = findIntegrityFailure(error);
  if (failure === undefined) return undefined;
  const expected = text(failure.expected) ?? text(failure.sri) ?? "unknown";
  const actual = text(failure.found) ?? "unknown";
  let pkg = where.pkg;
  if (pkg === undefined && where.lockfileDir !== undefined && expected !== "unknown") pkg = await packageOfIntegrity(where.lockfileDir, expected);
  return createError("COSMO_E_INTEGRITY", { package: pkg ?? "a package", expected, actual }, { cause: error });
}
