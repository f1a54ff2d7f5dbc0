/**
 * The conflict check, in memory: Arborist's `buildIdealTree` over the bundled manifest of host +
 * installed plugins + the candidate, then Cosmo's own checks on the tree. Nothing is written but
 * the npm cache (DESIGN.md). The bundled manifest stays in memory (see ideal-tree.ts); Arborist's
 * path is the current bundle (read only: it starts from its lockfile and re-resolves only what
 * changed) or, with no bundle yet, a directory that is never written (ideal-tree.ts).
 */
import { access, readFile, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import { createError, errorMessage, isCosmoError, type Manifest } from "@cosmo/core";
import type Arborist from "@npmcli/arborist";
import type pacote from "pacote";
import semver from "semver";
import { bundleManifest, packCacheDir } from "./bundle";
import { defaultBundleDir } from "./bundle-dirs";
import type { Conflict } from "./conflicts";
import { readHost, type HostInfo } from "./host";
import { buildIdealTreeInMemory, scratchRoot } from "./ideal-tree";
import { integrityError } from "./integrity";
import { loadArborist, loadPacote } from "./npm-libs";
import type { NpmOptions } from "./npm-options";
import {
  collisionConflicts,
  engineConflicts,
  forbiddenSourceConflict,
  hostRangeConflict,
  notAPluginConflict,
  readPluginManifest,
  singletonConflicts,
  type PluginManifestResult,
  type TreeNode,
} from "./plugin-checks";
import { conflictFromResolveError } from "./resolve-errors";
import { optInHint, parseSource, resolveSources, sourceSpec, type ResolvedSource, type Source, type SourcePolicy } from "./source";
import { candidateVersions, packumentConflicts, type Packument, type SkippedVersion } from "./versions";

// At most this many versions of one range get a full check (a tree each); versions the packument
// already rules out cost nothing and do not count.
const MAX_TREE_CHECKS = 8;

/** What a checker is set up with: one host, one npm config, one policy. */
export interface CheckerOptions extends SourcePolicy {
  /** The host directory. */
  host: string;
  npmOptions?: NpmOptions;
  /** Packages that must have one copy only, besides the host's `cosmo.shared`. */
  sharedSingletons?: readonly string[];
  /** Cosmo's data dir (local directory plugins are packed under it). */
  dataDir?: string;
  /** The current bundle (package.json + package-lock.json from the last sync), default `<dataDir>/bundle`: the check starts from its lockfile. */
  bundleDir?: string;
  /** The Node version engines are checked against; default `process.version`. */
  nodeVersion?: string;
}

/** One check: the plugins installed now and the one to add. */
export interface CheckRequest {
  installed: ReadonlyArray<string | Source>;
  candidate: string | Source;
}

/** The candidate as the check resolved it: its real package name and, once a tree was built, the exact version. */
export interface CheckedPlugin {
  /** The package name (read from the package when the source does not say it). */
  name: string;
  /** The exact version the ideal tree holds, or null when no tree could be built. */
  version: string | null;
  /** Where its tarball comes from (registry URL or file), when known. */
  resolved: string | null;
  /** Its tarball's integrity (`sha512-...`), when known. */
  integrity: string | null;
}

/** What {@link Checker.newerVersions} is asked. */
export interface NewerVersionsRequest {
  /** The plugin's package name. */
  name: string;
  /** The version installed now. */
  current: string;
  /** The other plugins' sources. */
  installed: ReadonlyArray<string | Source>;
  limit?: number;
}

/** One newer version of a plugin: whether it fits, and if not, why. */
export interface NewerVersion {
  version: string;
  fits: boolean;
  conflicts: Conflict[];
}

/** The answer of a check: ok, or the conflicts, and the ideal tree when one could be built. */
export interface CheckResult {
  ok: boolean;
  /** Why the candidate cannot join; when a range fitted no version, the newest version's conflicts. */
  conflicts: Conflict[];
  /**
   * Versions the candidate's range matched that were passed over, newest first, each with its
   * conflicts: newer than the one chosen, or every version tried when none fits. Empty for an
   * exact version, a tag, or a source that is not a registry range.
   */
  skipped: SkippedVersion[];
  /** The candidate as resolved; absent when even its name could not be known (a refused source). */
  plugin?: CheckedPlugin;
  /** Arborist's ideal tree (in memory) when resolution succeeded. */
  tree?: Arborist.Node;
}

/** A conflict checker that keeps resolver state (packuments, plugin manifests) across checks. */
export interface Checker {
  /** Checks one more plugin against the host and the installed plugins. */
  check(request: CheckRequest): Promise<CheckResult>;
  /**
   * The published versions of an installed plugin newer than `current`, newest first, each
   * checked against the host and the other plugins (`installed` must not hold the plugin itself):
   * what `plugins outdated` lists. At most `limit` (default 8) get a full check; older ones are
   * left out.
   */
  newerVersions(request: NewerVersionsRequest): Promise<NewerVersion[]>;
  /** Forgets cached packuments and manifests (e.g. after a publish the process must see). */
  clearCache(): void;
  /**
   * npm's options as this checker fetches with: the user's, plus the packuments it holds in
   * memory. A sync in the same process given these resolves from the packuments its checks
   * used: no second round of registry requests, and the versions the checks accepted.
   */
  fetchOptions(): NpmOptions;
}

/**
 * The real path of the current bundle when it holds a lockfile (an incremental check starts from
 * it), else undefined. Real path: `<dataDir>/bundle` is a symlink, and a symlinked root would make
 * Arborist's root a Link.
 */
async function bundleWithLockfile(dir: string | undefined): Promise<string | undefined> {
  if (dir === undefined) return undefined;
  try {
    const real = await realpath(dir);
    await access(join(real, "package-lock.json"));
    return real;
  } catch {
    return undefined;
  }
}

type PackumentVersionLike = Parameters<typeof packumentConflicts>[1];

/** The range of a registry spec worth walking: a real range, not one exact version or a tag. */
function walkableRange(spec: string): string | undefined {
  if (semver.valid(spec, { loose: true }) !== null) return undefined;
  return semver.validRange(spec, { loose: true }) ?? undefined;
}

function checkedPlugin(name: string, node: TreeNode | undefined): CheckedPlugin {
  return { name, version: node?.version ?? null, resolved: node?.resolved ?? null, integrity: node?.integrity ?? null };
}

/** The version a bundle's lockfile holds for a top-level package, or null. */
async function lockedVersion(bundle: string, name: string): Promise<string | null> {
  try {
    const lock = JSON.parse(await readFile(join(bundle, "package-lock.json"), "utf8")) as { packages?: Record<string, { version?: string }> };
    return lock.packages?.[`node_modules/${name}`]?.version ?? null;
  } catch {
    return null;
  }
}

/**
 * Creates a checker. Keep one per process: its packument cache makes the second check of a
 * session resolve from memory.
 * @example const checker = createChecker({ host, npmOptions }); await checker.check({ installed, candidate });
 */
export function createChecker(options: CheckerOptions): Checker {
  // Shared with every Arborist/pacote call: packuments fetched once per process.
  let packumentCache = new Map<string, unknown>();
  let manifests = new Map<string, PluginManifestResult>();
  let names = new Map<string, ResolvedSource>();
  const npmOptions = options.npmOptions ?? {};
  const fetchOptions = { ...npmOptions, packumentCache };
  // The host as read, kept while its package.json stays the same file: every check needs it,
  // and reading it is one lookup per host dependency (the runner has seventeen). A host whose
  // node_modules changes under a running process is seen by the next checker (each worker a
  // runner starts makes its own) or after clearCache().
  let hostRead: { stamp: string; host: Promise<HostInfo> } | undefined;
  async function hostInfo(): Promise<HostInfo> {
    const s = await stat(join(options.host, "package.json")).catch(() => undefined);
    const stamp = s === undefined ? "" : `${s.ino}:${s.size}:${s.mtimeMs}`;
    if (hostRead === undefined || hostRead.stamp !== stamp) {
      const read = readHost(options.host);
      hostRead = { stamp, host: read };
      // A failed read is not kept: the next check reads again (and says what is wrong).
      read.catch(() => {
        if (hostRead?.host === read) hostRead = undefined;
      });
    }
    return hostRead.host;
  }

  async function resolveOne(input: string | Source): Promise<ResolvedSource> {
    const source = typeof input === "string" ? parseSource(input, options) : input;
    // Registry specs carry their name; directories are repacked each time (their files change).
    const cacheable = source.type !== "directory" && source.name === undefined;
    const cached = cacheable ? names.get(source.spec) : undefined;
    if (cached !== undefined) return { ...cached, raw: source.raw };
    const [resolved] = await resolveSources([source], { ...options, cacheDir: packCacheDir(options.dataDir), npmOptions: fetchOptions });
    if (cacheable) names.set(source.spec, resolved as ResolvedSource);
    return resolved as ResolvedSource;
  }

  async function manifestOf(plugin: ResolvedSource, node: TreeNode | undefined): Promise<PluginManifestResult> {
    // Registry nodes are fetched by resolved URL + integrity, so the key names the exact bytes.
    // A lock written with omit-lockfile-registry-resolved gives nodes no URL: name and version then.
    const registrySpec = node?.resolved ?? (node?.version ? `${plugin.name}@${node.version}` : sourceSpec(plugin));
    const spec = plugin.type === "registry" ? registrySpec : plugin.spec;
    const key = `${plugin.name}|${spec}|${node?.integrity ?? ""}`;
    const cached = manifests.get(key);
    if (cached !== undefined) return cached;
    const read = (retry?: object) => readPluginManifest(spec, plugin.name, { ...fetchOptions, integrity: node?.integrity ?? undefined, ...(retry ? { retry } : {}) });
    let result: PluginManifestResult;
    try {
      // First without the fetch retries: make-fetch-happen retries any error, an integrity
      // mismatch included, with npm's backoff (10 s then 60 s by default, twice over with
      // pacote's own retry): a tampered tarball took ~140 s to be refused.
      result = await read({ retries: 0 });
    } catch (first) {
      // Bytes that do not match the pinned integrity: tampering, named, not a network failure.
      const tampered = await integrityError(first, { pkg: plugin.name });
      if (tampered !== undefined) throw tampered;
      try {
        // A network failure: the user's retry settings get their chance.
        result = await read();
      } catch (error) {
        const late = await integrityError(error, { pkg: plugin.name });
        if (late !== undefined) throw late;
        // The tree resolved, so this is the registry or the cache failing, not the plugin.
        throw createError("COSMO_E_RESOLVE_FAILED", { reason: `fetching ${plugin.name}: ${errorMessage(error)}` }, { cause: error });
      }
    }
    manifests.set(key, result);
    return result;
  }

  async function checkOnce({ installed, candidate }: CheckRequest): Promise<CheckResult> {
    let candidateSource: ResolvedSource;
    try {
      candidateSource = await resolveOne(candidate);
    } catch (error) {
      if (isCosmoError(error) && error.code === "COSMO_E_SOURCE_FORBIDDEN") {
        const raw = typeof candidate === "string" ? candidate : candidate.raw;
        const type = error.details.type === "git" ? "git" : "remote";
        return { ok: false, conflicts: [forbiddenSourceConflict(raw, type, String(error.details.option))], skipped: [] };
      }
      throw error;
    }
    const [host, plugins] = await Promise.all([hostInfo(), Promise.all(installed.map(resolveOne))]);
    const bundleDir = options.bundleDir ?? (options.dataDir === undefined ? undefined : defaultBundleDir(options.dataDir));
    const bundle = await bundleWithLockfile(bundleDir);
    // The same package from another source is another version of an installed plugin: say so
    // (and point to upgrade) rather than let the manifest refuse two entries for one name.
    const same = plugins.find((p) => p.name === candidateSource.name);
    if (same !== undefined) {
      const installedVersion = bundle === undefined ? null : await lockedVersion(bundle, same.name);
      return {
        ok: false,
        conflicts: [{ kind: "already-installed", plugin: same.name, wanted: candidateSource.raw, installedSource: same.raw, installedVersion }],
        plugin: checkedPlugin(same.name, undefined),
        skipped: [],
      };
    }
    plugins.push(candidateSource);
    const desired = bundleManifest(host, plugins);
    const path = bundle ?? scratchRoot;

    const pluginNames = new Set(plugins.map((p) => p.name));
    const arborOptions = {
      ...fetchOptions,
      ignoreScripts: true,
      audit: false,
      // Engines are checked below and reported as conflicts, not thrown mid-resolution.
      engineStrict: false,
      // Arborist enforces the same policy on transitive dependencies (EALLOWGIT / EALLOWREMOTE).
      allowGit: options.allowGit ? "all" : "none",
      allowRemote: options.allowRemote ? "all" : "none",
    } as Arborist.Options;
    let tree: TreeNode;
    try {
      tree = (await buildIdealTreeInMemory(path, desired, arborOptions)) as unknown as TreeNode;
    } catch (error) {
      const ctx = {
        plugins: pluginNames,
        hostDeps: new Set(Object.keys(host.links)),
        candidate: candidateSource.name,
        optIn: { git: optInHint(options, "git"), remote: optInHint(options, "remote") },
      };
      const conflicts = [conflictFromResolveError(error, ctx)];
      // Say "not a plugin" too when that is also true: the more useful half of the answer.
      const manifest = await manifestOf(candidateSource, undefined).catch(() => undefined);
      if (manifest !== undefined && "problem" in manifest) conflicts.push(notAPluginConflict(candidateSource.name, manifest.problem));
      return { ok: false, conflicts, plugin: checkedPlugin(candidateSource.name, undefined), skipped: [] };
    }

    const results = await Promise.all(plugins.map((p) => manifestOf(p, tree.children.get(p.name))));
    const conflicts: Conflict[] = [];
    const others = new Map<string, Manifest>();
    plugins.forEach((plugin, i) => {
      const result = results[i] as PluginManifestResult;
      if (plugin !== candidateSource && "manifest" in result) others.set(plugin.name, result.manifest);
    });
    const mine = results[results.length - 1] as PluginManifestResult;
    if ("problem" in mine) {
      conflicts.push(notAPluginConflict(candidateSource.name, mine.problem));
    } else {
      conflicts.push(...hostRangeConflict(candidateSource.name, mine.manifest, host.coreVersion));
      conflicts.push(...collisionConflicts(candidateSource.name, mine.manifest, others));
    }
    conflicts.push(...engineConflicts(tree, pluginNames, options.nodeVersion ?? process.version));
    // @cosmo/core is always one copy: a plugin with its own would get a PluginService and
    // manifest rules the host does not run.
    const shared = ["@cosmo/core", ...(options.sharedSingletons ?? []), ...host.shared];
    conflicts.push(...singletonConflicts(tree, shared, pluginNames, candidateSource.name));
    const plugin = checkedPlugin(candidateSource.name, tree.children.get(candidateSource.name));
    return { ok: conflicts.length === 0, conflicts, plugin, skipped: [], tree: tree as unknown as Arborist.Node };
  }

  /**
   * A registry range (a bare name is `*`) picks the newest version that fits, not merely the
   * newest: versions are tried newest first, those the packument already rules out skipped
   * without a tree, and each skipped version is reported with why.
   */
  async function checkNewest(request: CheckRequest): Promise<CheckResult> {
    let source: Source;
    try {
      source = typeof request.candidate === "string" ? parseSource(request.candidate, options) : request.candidate;
    } catch {
      return checkOnce(request); // it reports a refused or malformed source as it always has
    }
    const range = source.type === "registry" && source.name !== undefined ? walkableRange(source.spec) : undefined;
    if (range === undefined || source.name === undefined) return checkOnce(request);
    const name = source.name;
    let packument: Packument;
    try {
      const [Arborist, pacoteLib] = await Promise.all([loadArborist(), loadPacote()]);
      packument = (await pacoteLib.packument(name, { ...fetchOptions, Arborist } as pacote.Options)) as unknown as Packument;
    } catch {
      return checkOnce(request); // not-found and registry failures are told by the full check
    }
    const versions = candidateVersions(packument, range);
    if (versions.length <= 1) return checkOnce(request);
    const host = await hostInfo();
    const nodeVersion = options.nodeVersion ?? process.version;
    const skipped: SkippedVersion[] = [];
    let trees = 0;
    for (const version of versions) {
      const early = packumentConflicts(name, packument.versions[version] as PackumentVersionLike, host, nodeVersion);
      if (early.length > 0) {
        skipped.push({ version, conflicts: early });
        continue;
      }
      if (trees >= MAX_TREE_CHECKS) break;
      trees += 1;
      const result = await checkOnce({ installed: request.installed, candidate: { raw: source.raw, type: "registry", name, spec: version } });
      // Another version would meet the same refusal: the plugin is installed, or a source refused.
      if (result.ok || result.conflicts.some((c) => c.kind === "already-installed" || c.kind === "forbidden-source")) {
        return { ...result, skipped };
      }
      skipped.push({ version, conflicts: result.conflicts });
    }
    const newest = skipped[0] as SkippedVersion;
    return { ok: false, conflicts: newest.conflicts, skipped, plugin: checkedPlugin(name, undefined) };
  }

  function clearCache(): void {
    packumentCache = new Map();
    fetchOptions.packumentCache = packumentCache;
    manifests = new Map();
    names = new Map();
    hostRead = undefined;
  }

  async function check(request: CheckRequest): Promise<CheckResult> {
    const hadCache = packumentCache.size > 0;
    const result = await checkNewest(request);
    // "No such package/version" from packuments cached earlier may only mean they are stale (a
    // version published since): ask the registry once more before saying no.
    const missing = result.conflicts.some((c) => c.kind === "not-found" || c.kind === "no-matching-version");
    if (!missing || !hadCache) return result;
    clearCache();
    return checkNewest(request);
  }

  async function newerVersions({ name, current, installed, limit = MAX_TREE_CHECKS }: NewerVersionsRequest): Promise<NewerVersion[]> {
    clearCache(); // "outdated" is a question about the registry now, not what this process saw
    const [Arborist, pacoteLib] = await Promise.all([loadArborist(), loadPacote()]);
    const packument = (await pacoteLib.packument(name, { ...fetchOptions, Arborist } as pacote.Options)) as unknown as Packument;
    const versions = candidateVersions(packument, `>${current}`).slice(0, limit);
    const host = await hostInfo();
    const nodeVersion = options.nodeVersion ?? process.version;
    const out: NewerVersion[] = [];
    for (const version of versions) {
      const early = packumentConflicts(name, packument.versions[version] as PackumentVersionLike, host, nodeVersion);
      if (early.length > 0) {
        out.push({ version, fits: false, conflicts: early });
        continue;
      }
      const result = await checkOnce({ installed, candidate: { raw: `${name}@${version}`, type: "registry", name, spec: version } });
      out.push({ version, fits: result.ok, conflicts: result.conflicts });
    }
    return out;
  }

  return { check, clearCache, newerVersions, fetchOptions: () => ({ ...fetchOptions }) };
}

/**
 * Checks whether `candidate` can join the host and its installed plugins, without writing
 * anything. A one-shot {@link createChecker}; keep a checker instead when checking often.
 * @example const { ok, conflicts } = await check({ host, installed: [], candidate: "plugin-ok@^1", npmOptions });
 */
export async function check(options: CheckerOptions & CheckRequest): Promise<CheckResult> {
  return createChecker(options).check(options);
}
