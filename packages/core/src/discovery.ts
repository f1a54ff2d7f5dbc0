/**
 * Discovery: find every installed package with a `cosmo.json` under the given node_modules roots.
 * It runs at every host start, so it reads as little as it can: one stat per package, then the
 * cosmo.json and package.json of those that have one. Those reads are synchronous on purpose:
 * small files the OS has cached, where a promise-based read costs several thread-pool round trips
 * and a FileHandle each (50 plugins among 300 packages: discovery in a third of the time, about a
 * millisecond of blocking). It never throws for one bad package: that package becomes a
 * diagnostic and the others are still found.
 */
import { readFileSync, realpathSync, statSync, type Dirent } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { createError, errorMessage, isCosmoError, type CosmoError, type CosmoErrorCode } from "./errors";
import { parseManifest, type Manifest } from "./manifest";

/** An installed package whose cosmo.json is valid. */
export interface DiscoveredPlugin {
  /** The package's npm name (`name` of its package.json), e.g. `@acme/zigbee`. */
  packageName: string;
  /** The package's version (`version` of its package.json). */
  packageVersion: string;
  /** The package's directory, symlinks resolved (where its modules really are). */
  dir: string;
  /** Its validated cosmo.json. */
  manifest: Manifest;
  /** Its package.json, as parsed. */
  packageJson: Record<string, unknown>;
  /** The node_modules root it was found under, as given. */
  root: string;
}

/** Why a package (or a whole root) was left out, built from the coded error that says so. */
export interface Diagnostic {
  /** The package concerned; undefined when a whole root could not be read. */
  packageName: string | undefined;
  /** The package's directory (realpath when it could be resolved), or the root. */
  dir: string;
  /** The `COSMO_E_*` code. */
  code: CosmoErrorCode;
  /** What went wrong and how to fix it. */
  message: string;
  /** The error's structured details (for manifests: the `issues`, field by field). */
  details: Record<string, unknown>;
}

/** Options of `discoverPlugins`. */
export interface DiscoverOptions {
  /** node_modules directories to search, in order of precedence (earlier wins a name collision). */
  roots: readonly string[];
}

/** What discovery found: the valid plugins, and a diagnostic for everything it had to skip. */
export interface DiscoveryResult {
  plugins: DiscoveredPlugin[];
  diagnostics: Diagnostic[];
}

interface Candidate {
  name: string;
  path: string;
}

type Inspected = { plugin: DiscoveredPlugin } | { diagnostic: Diagnostic } | null;

function toDiagnostic(error: CosmoError, packageName: string | undefined, dir: string): Diagnostic {
  return { packageName, dir, code: error.code, message: error.message, details: error.details };
}

function errorCode(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

// A symlink (or an entry whose type the filesystem did not report) may be a directory: keep it,
// and let the read through the path follow the link, which is what stat would do. Files are not packages.
function mayBePackageDir(entry: Dirent): boolean {
  if (entry.name.startsWith(".")) return false; // .bin, .package-lock.json, .cache, ...
  return !(entry.isFile() || entry.isFIFO() || entry.isSocket() || entry.isBlockDevice() || entry.isCharacterDevice());
}

async function listCandidates(root: string, diagnostics: Diagnostic[]): Promise<Candidate[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    const e = createError("COSMO_E_DISCOVERY_ROOT", { root, reason: errorMessage(error) }, { cause: error });
    diagnostics.push(toDiagnostic(e, undefined, root));
    return [];
  }
  const scopes: Promise<Candidate[]>[] = [];
  const candidates: Candidate[] = [];
  for (const entry of entries) {
    if (!mayBePackageDir(entry)) continue;
    const path = join(root, entry.name);
    if (entry.name.startsWith("@")) scopes.push(listScope(entry.name, path, diagnostics));
    else candidates.push({ name: entry.name, path });
  }
  for (const scoped of await Promise.all(scopes)) candidates.push(...scoped);
  // Sorted so that results, and which of two colliding packages wins, never depend on timing.
  return candidates.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function listScope(scope: string, path: string, diagnostics: Diagnostic[]): Promise<Candidate[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (error) {
    if (errorCode(error) === "ENOTDIR") return []; // a link to a file that happens to start with @
    const e = createError("COSMO_E_DISCOVERY_ROOT", { root: path, reason: errorMessage(error) }, { cause: error });
    diagnostics.push(toDiagnostic(e, undefined, path));
    return [];
  }
  return entries.filter(mayBePackageDir).map((e) => ({ name: `${scope}/${e.name}`, path: join(path, e.name) }));
}

function readPackageJson(dir: string, dirName: string): { name: string; version: string; json: Record<string, unknown> } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  } catch (error) {
    throw createError("COSMO_E_PACKAGE_JSON", { package: dirName, reason: errorMessage(error) }, { cause: error });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw createError("COSMO_E_PACKAGE_JSON", { package: dirName, reason: "it is not a JSON object" });
  }
  const { name, version } = json as Record<string, unknown>;
  if (typeof version !== "string") {
    throw createError("COSMO_E_PACKAGE_JSON", { package: dirName, reason: 'it has no "version" string' });
  }
  return { name: typeof name === "string" && name !== "" ? name : dirName, version, json: json as Record<string, unknown> };
}

/**
 * False when the package surely has no cosmo.json. Most packages of a tree have none, and an
 * asynchronous read that fails costs a thread-pool round trip and an error object with a stack
 * each; a synchronous stat that may answer "none" costs neither (a few µs, from the dentry
 * cache). Anything but "no such file" keeps the candidate: inspect() reads it and says why not.
 */
function mayHaveManifest(candidate: Candidate): boolean {
  try {
    return statSync(join(candidate.path, "cosmo.json"), { throwIfNoEntry: false }) !== undefined;
  } catch (error) {
    return errorCode(error) !== "ENOTDIR";
  }
}

function inspect(candidate: Candidate, root: string): Inspected {
  let manifestText: string;
  try {
    manifestText = readFileSync(join(candidate.path, "cosmo.json"), "utf8");
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    const e = createError("COSMO_E_MANIFEST_JSON", { package: candidate.name, reason: errorMessage(error) }, { cause: error });
    return { diagnostic: toDiagnostic(e, candidate.name, candidate.path) };
  }
  let dir = candidate.path;
  try {
    dir = realpathSync.native(candidate.path);
  } catch {
    // a link that points nowhere: its reads below fail and say so
  }
  let packageName = candidate.name;
  try {
    const pkg = readPackageJson(dir, candidate.name);
    packageName = pkg.name;
    const manifest = parseManifest(manifestText, packageName);
    return { plugin: { packageName, packageVersion: pkg.version, dir, manifest, packageJson: pkg.json, root } };
  } catch (error) {
    if (!isCosmoError(error)) throw error; // a bug here, not a bad package
    return { diagnostic: toDiagnostic(error, packageName, dir) };
  }
}

/**
 * Finds every top-level package with a cosmo.json under each root (scoped packages and symlinked
 * ones included). Never throws for a bad package or root: each becomes a diagnostic.
 * @example const { plugins, diagnostics } = await discoverPlugins({ roots: [join(bundleDir, "node_modules")] })
 */
export async function discoverPlugins({ roots }: DiscoverOptions): Promise<DiscoveryResult> {
  // Each root collects its own diagnostics, so they come out in the order the roots were given.
  const listed = await Promise.all(
    roots.map(async (root) => {
      const rootDiagnostics: Diagnostic[] = [];
      return { root, candidates: await listCandidates(root, rootDiagnostics), rootDiagnostics };
    }),
  );
  const diagnostics = listed.flatMap((l) => l.rootDiagnostics);
  const work = listed.flatMap(({ root, candidates }) => candidates.filter(mayHaveManifest).map((c) => ({ c, root })));
  const inspected = work.map(({ c, root }) => inspect(c, root));

  const plugins: DiscoveredPlugin[] = [];
  const byName = new Map<string, DiscoveredPlugin>();
  const seenDirs = new Set<string>();
  for (const result of inspected) {
    if (result === null) continue;
    if ("diagnostic" in result) {
      diagnostics.push(result.diagnostic);
      continue;
    }
    const { plugin } = result;
    // The same package reached twice (two roots, or two links to one workspace) is one plugin.
    if (seenDirs.has(plugin.dir)) continue;
    seenDirs.add(plugin.dir);
    const first = byName.get(plugin.manifest.name);
    if (first) {
      const e = createError("COSMO_E_PLUGIN_NAME_COLLISION", {
        package: plugin.packageName,
        plugin: plugin.manifest.name,
        other: first.packageName,
        dir: plugin.dir,
        otherDir: first.dir,
      });
      diagnostics.push(toDiagnostic(e, plugin.packageName, plugin.dir));
      continue;
    }
    byName.set(plugin.manifest.name, plugin);
    plugins.push(plugin);
  }
  return { plugins, diagnostics };
}
