/**
 * The host as the bundler sees it: its package.json, the copies of its dependencies it has
 * installed (what plugins get linked to), its @cosmo/core version and the packages it declares
 * shared. Read only; the host's files are never written.
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createError, errorMessage } from "@cosmo/core";

/** A host's package.json, as much of it as the bundler reads. */
export interface HostPackage {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  cosmo?: { shared?: string[] };
  [key: string]: unknown;
}

/** What the bundler knows about a host. */
export interface HostInfo {
  /** Absolute host directory. */
  dir: string;
  pkg: HostPackage;
  /** Each installed host dependency, linked: `name -> file:<dir>/node_modules/<name>`. */
  links: Record<string, string>;
  /** Installed version of each linked dependency. */
  versions: Record<string, string>;
  /** The host's @cosmo/core version, if it has one installed. */
  coreVersion: string | undefined;
  /** Packages the host declares shared in package.json (`cosmo.shared`). */
  shared: string[];
}

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return undefined;
  }
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * Reads a host. Throws `COSMO_E_HOST_INVALID` when its package.json is missing or bad, or when a
 * dependency it declares is not installed (the message names it and says to run `npm install`).
 */
export async function readHost(hostDir: string): Promise<HostInfo> {
  const dir = resolve(hostDir);
  let pkg: HostPackage | undefined;
  try {
    pkg = (await readJson(join(dir, "package.json"))) as HostPackage | undefined;
  } catch (error) {
    throw createError("COSMO_E_HOST_INVALID", { host: dir, reason: `package.json is not valid JSON (${errorMessage(error)})` });
  }
  if (pkg === undefined) throw createError("COSMO_E_HOST_INVALID", { host: dir, reason: "it has no package.json" });

  const links: Record<string, string> = {};
  const versions: Record<string, string> = {};
  const wanted: Array<[string, boolean]> = [
    ...Object.keys(pkg.dependencies ?? {}).map((n): [string, boolean] => [n, false]),
    ...Object.keys(pkg.optionalDependencies ?? {}).map((n): [string, boolean] => [n, true]),
  ];
  for (const [name, optional] of wanted) {
    const installedDir = join(dir, "node_modules", name);
    const installed = await readJson(join(installedDir, "package.json")).catch(() => undefined);
    if (installed === undefined) {
      if (optional) continue; // npm skips optional deps that failed to install; so do we
      throw createError("COSMO_E_HOST_INVALID", {
        host: dir,
        reason: `its dependency "${name}" is not installed in node_modules; run \`npm install\` in ${dir}`,
        dependency: name,
      });
    }
    links[name] = `file:${installedDir}`;
    versions[name] = String(installed.version ?? "");
  }

  const core = await readJson(join(dir, "node_modules", "@cosmo", "core", "package.json")).catch(() => undefined);
  const shared = Array.isArray(pkg.cosmo?.shared) ? pkg.cosmo.shared.filter((s): s is string => typeof s === "string") : [];
  return { dir, pkg, links, versions, coreVersion: core === undefined ? undefined : String(core.version), shared };
}
