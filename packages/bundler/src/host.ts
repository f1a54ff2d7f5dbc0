/**
 * The host as the bundler sees it: its package.json, the copies of its dependencies it has
 * installed (what plugins get linked to), its @cosmo/core version and the packages it declares
 * shared. Read only; the host's files are never written.
 */
import { readFile, realpath } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
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
  /** Each installed host dependency, linked: `name -> file:<realpath of the installed copy>`. */
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
 * Where Node would load `name` from when the host imports it: `<dir>/node_modules/<name>`, else
 * the same in each parent directory. npm hoists a package's dependencies next to it (`npx
 * cosmo-runner`, workspaces), so the host's copy is often not under its own node_modules. The
 * link goes to the realpath, so a workspace symlink links the real package dir.
 */
async function findInstalled(hostDir: string, name: string): Promise<{ dir: string; pkg: Record<string, unknown> } | undefined> {
  for (let at = hostDir; ; at = dirname(at)) {
    const candidate = join(at, "node_modules", name);
    const pkg = await readJson(join(candidate, "package.json")).catch(() => undefined);
    if (pkg !== undefined) return { dir: await realpath(candidate), pkg };
    if (dirname(at) === at) return undefined;
  }
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
  // Looked up all at once: a host has a dozen or more dependencies, and one after another each
  // lookup waited its own turn at the disk (a check reads the host every time).
  const [found, core] = await Promise.all([Promise.all(wanted.map(([name]) => findInstalled(dir, name))), findInstalled(dir, "@cosmo/core")]);
  wanted.forEach(([name, optional], i) => {
    const installed = found[i];
    if (installed === undefined) {
      if (optional) return; // npm skips optional deps that failed to install; so do we
      throw createError("COSMO_E_HOST_INVALID", {
        host: dir,
        reason: `its dependency "${name}" is not installed in node_modules; run \`npm install\` in ${dir}`,
        dependency: name,
      });
    }
    links[name] = `file:${installed.dir}`;
    versions[name] = String(installed.pkg.version ?? "");
  });

  const shared = Array.isArray(pkg.cosmo?.shared) ? pkg.cosmo.shared.filter((s): s is string => typeof s === "string") : [];
  return { dir, pkg, links, versions, coreVersion: core === undefined ? undefined : String(core.pkg.version), shared };
}
