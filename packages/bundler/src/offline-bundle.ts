/**
 * Offline bundles: a plugin set that moves to a machine with no registry. `exportBundle` writes
 * one .tgz holding the set (the tracked sources), the current bundle's package.json and
 * package-lock.json, and every tarball the lockfile installs; `importBundle` reads it back,
 * checks each tarball against the integrity the lockfile pins, and puts the registry ones into
 * the npm cache (content-addressed, where pacote looks first), so a sync of that exact lockfile
 * with `offline: true` installs the same tree with no network at all. Backstage's dynamic plugin
 * packages and Node-RED's offline installs answer the same need.
 *
 *   cosmo-bundle/bundle.json            format, when, the set, each tarball's package and integrity
 *   cosmo-bundle/installed_plugins.txt  the set, as the tracking file says it
 *   cosmo-bundle/package.json           the bundled manifest the lockfile was made for
 *   cosmo-bundle/package-lock.json
 *   cosmo-bundle/tarballs/<n>.tgz       one per installed package (host links excluded)
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { createError, errorMessage, isCosmoError } from "@cosmo/core";
import type pacote from "pacote";
import writeFileAtomic from "write-file-atomic";
import { currentBundle } from "./bundle-dirs";
import { integrityError } from "./integrity";
import { loadArborist, loadPacote } from "./npm-libs";
import { parseSource } from "./source";
import type { NpmOptions } from "./npm-options";

/** The archive's format version; an archive of another format is refused, not guessed at. */
export const OFFLINE_BUNDLE_FORMAT = 1;
const ROOT = "cosmo-bundle";

/** One tarball in an offline bundle. */
export interface OfflineTarball {
  /** Its path inside the archive (`tarballs/<n>.tgz`). */
  file: string;
  /** Its lockfile location (`node_modules/a/node_modules/b`). */
  location: string;
  name: string;
  version: string;
  /** Where the lockfile says it comes from (a registry URL, or a `file:` tarball). */
  resolved: string;
  integrity: string;
}

/** `bundle.json`: what an offline bundle holds. */
export interface OfflineBundleMeta {
  format: number;
  created_at: string;
  /** The plugin set: the tracked sources, in order. */
  sources: string[];
  /** Each source's package name, so an import can point a local source at its imported tarball. */
  plugins: Array<{ source: string; name: string }>;
  tarballs: OfflineTarball[];
  /** Anything the exporter adds (host and core versions, records). */
  [key: string]: unknown;
}

/** Options of {@link exportBundle}. */
export interface ExportBundleOptions {
  /** The data dir whose current bundle is exported (`<dataDir>/bundle`). */
  dataDir: string;
  bundleDir?: string;
  /** The plugin set (the tracked sources). */
  sources: readonly string[];
  /** How tarballs are fetched when the npm cache lacks them. */
  npmOptions?: NpmOptions;
  /** Extra fields for bundle.json. */
  meta?: Record<string, unknown>;
}

interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
}

interface Lockfile {
  packages?: Record<string, LockEntry>;
  [key: string]: unknown;
}

function packageName(location: string, entry: LockEntry): string {
  return entry.name ?? location.replace(/^.*node_modules\//, "");
}

/** A local `file:` resolved path, absolute (the lockfile writes it relative to the bundle). */
function localPath(resolved: string, bundle: string): string | undefined {
  if (!resolved.startsWith("file:")) return undefined;
  const path = resolved.slice("file:".length);
  return isAbsolute(path) ? path : resolve(bundle, path);
}

/** The package name a tracked source installs, read from the bundle's manifest where the source does not say it. */
async function sourceName(source: string, deps: Readonly<Record<string, string>>): Promise<string | undefined> {
  let parsed;
  try {
    parsed = parseSource(source, { allowGit: true, allowRemote: true });
  } catch {
    return undefined;
  }
  if (parsed.name !== undefined) return parsed.name;
  const bySpec = Object.entries(deps).find(([, spec]) => spec === parsed.spec || spec === parsed.raw)?.[0];
  if (bySpec !== undefined) return bySpec;
  try {
    const [Arborist, pacoteLib] = await Promise.all([loadArborist(), loadPacote()]);
    return (await pacoteLib.manifest(parsed.spec, { Arborist, ignoreScripts: true } as pacote.Options)).name;
  } catch {
    return undefined;
  }
}

/** True when `data` has the integrity `pinned` (any of its hashes); else the integrity it has. */
function checkIntegrity(data: Buffer, pinned: string): { ok: true } | { ok: false; actual: string } {
  const hashes = pinned.split(/\s+/).filter(Boolean);
  for (const hash of hashes) {
    const dash = hash.indexOf("-");
    const algorithm = hash.slice(0, dash);
    const digest = hash.slice(dash + 1).split("?")[0];
    if (createHash(algorithm).update(data).digest("base64") === digest) return { ok: true };
  }
  const algorithm = (hashes[0] ?? "sha512-").split("-")[0] || "sha512";
  return { ok: false, actual: `${algorithm}-${createHash(algorithm).update(data).digest("base64")}` };
}

/**
 * Writes the current bundle of `dataDir` as an offline bundle into a staging directory and
 * returns a gzip'd tar stream of it; the staging dir is removed once the stream ends. Tarballs
 * come from the npm cache when it has them (verified against the lockfile's integrity), else from
 * where the lockfile says. Throws `COSMO_E_NO_BUNDLE` when there is no bundle yet.
 */
export async function exportBundleStream(options: ExportBundleOptions): Promise<{ stream: Readable; meta: OfflineBundleMeta }> {
  const bundle = await currentBundle(options.dataDir, { bundleDir: options.bundleDir });
  // Loaded here, not at import: a server worker imports this package at every start.
  const [Arborist, pacoteLib, tar] = await Promise.all([loadArborist(), loadPacote(), import("tar")]);
  const staging = await mkdtemp(join(tmpdir(), "cosmo-export-"));
  try {
    const dir = join(staging, ROOT);
    await mkdir(join(dir, "tarballs"), { recursive: true });
    const [pkgText, lockText] = await Promise.all([readFile(join(bundle, "package.json"), "utf8"), readFile(join(bundle, "package-lock.json"), "utf8")]);
    const lock = JSON.parse(lockText) as Lockfile;
    const tarballs: OfflineTarball[] = [];
    // Installed packages: every lock entry but the root and links (the host's own packages).
    const entries = Object.entries(lock.packages ?? {}).filter(([location, e]) => location !== "" && !e.link && e.integrity && (e.resolved || e.version));
    for (const [index, [location, entry]] of entries.entries()) {
      const name = packageName(location, entry);
      const integrity = entry.integrity as string;
      const local = entry.resolved === undefined ? undefined : localPath(entry.resolved, bundle);
      // A lock written with omit-lockfile-registry-resolved has no `resolved`: fetch by name and
      // version, and keep the URL the registry gave, so the importer's lock can say it.
      const spec = local !== undefined ? `file:${local}` : (entry.resolved ?? `${name}@${entry.version}`);
      let data: Buffer & { resolved?: string };
      const fetchTarball = (retry?: object) =>
        pacoteLib.tarball(spec, { ...options.npmOptions, integrity, Arborist, ignoreScripts: true, ...(retry ? { retry } : {}) } as pacote.Options);
      try {
        // No fetch retries first: npm's backoff would delay a refused (tampered) tarball by minutes.
        data = await fetchTarball({ retries: 0 }).catch(async (first: unknown) => {
          if (await integrityError(first)) throw first;
          return fetchTarball();
        });
      } catch (error) {
        const tampered = await integrityError(error, { pkg: `${name}@${entry.version ?? "?"}` });
        if (tampered !== undefined) throw tampered;
        throw createError("COSMO_E_RESOLVE_FAILED", { reason: `fetching ${name}@${entry.version ?? "?"} for the export: ${errorMessage(error)}` }, { cause: error });
      }
      const resolved = entry.resolved ?? data.resolved ?? spec;
      const file = `tarballs/${index}.tgz`;
      await writeFile(join(dir, file), data);
      tarballs.push({ file, location, name, version: entry.version ?? "", resolved, integrity });
    }
    const deps = ((JSON.parse(pkgText) as { dependencies?: Record<string, string> }).dependencies ?? {}) as Record<string, string>;
    const plugins: OfflineBundleMeta["plugins"] = [];
    for (const source of options.sources) {
      const name = await sourceName(source, deps);
      if (name !== undefined) plugins.push({ source, name });
    }
    const meta: OfflineBundleMeta = {
      ...options.meta,
      format: OFFLINE_BUNDLE_FORMAT,
      created_at: new Date().toISOString(),
      sources: [...options.sources],
      plugins,
      tarballs,
    };
    await Promise.all([
      writeFile(join(dir, "bundle.json"), `${JSON.stringify(meta, null, 2)}\n`),
      writeFile(join(dir, "installed_plugins.txt"), options.sources.length === 0 ? "" : `${options.sources.join("\n")}\n`),
      writeFile(join(dir, "package.json"), pkgText),
      writeFile(join(dir, "package-lock.json"), lockText),
    ]);
    const stream = tar.c({ gzip: true, cwd: staging, portable: true }, [ROOT]) as unknown as Readable;
    const cleanup = () => void rm(staging, { recursive: true, force: true });
    stream.once("end", cleanup);
    stream.once("error", cleanup);
    stream.once("close", cleanup);
    return { stream, meta };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Writes an offline bundle of `dataDir`'s current bundle to `file`, atomically (a reader never
 * sees half an archive).
 * @example await exportBundle({ dataDir, sources: await listTracked(dataDir), npmOptions }, "plugins.tgz")
 */
export async function exportBundle(options: ExportBundleOptions, file: string): Promise<OfflineBundleMeta> {
  const { stream, meta } = await exportBundleStream(options);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  await writeFileAtomic(file, Buffer.concat(chunks));
  return meta;
}

/** Options of {@link importBundle}. */
export interface ImportBundleOptions {
  /** The data dir importing: local tarball plugins are kept under `<dataDir>/cache/imported`. */
  dataDir: string;
  /** The npm config whose cache receives the registry tarballs (`cache` is where they go). */
  npmOptions?: NpmOptions;
}

/** What an import makes ready: the set and the lockfile to sync offline. */
export interface ImportedBundle {
  meta: OfflineBundleMeta;
  /** The set to track: the archive's sources, local tarballs pointing at their imported copies. */
  sources: string[];
  /** The lockfile to install exactly (`sync({ lockfile, npmOptions: { offline: true } })`). */
  lockfile: Record<string, unknown>;
  /** The npm cache the registry tarballs were put into. */
  cache: string;
}

function invalid(file: string, reason: string, cause?: unknown): Error {
  return createError("COSMO_E_IMPORT_INVALID", { file, reason }, cause === undefined ? undefined : { cause });
}

/** The npm cache pacote reads: npm's flat `cache` option is the cacache dir itself (`~/.npm/_cacache`). */
function cacacheDir(npmOptions: NpmOptions): string {
  return typeof npmOptions.cache === "string" ? npmOptions.cache : join(process.env.HOME ?? tmpdir(), ".npm", "_cacache");
}

/**
 * Reads an offline bundle: every tarball checked against the integrity the lockfile pins
 * (`COSMO_E_INTEGRITY` naming the package when one does not match), registry tarballs put into
 * the npm cache, local ones copied under the data dir. Nothing of the data dir's set or bundle
 * changes here; the caller tracks `sources` and syncs `lockfile` offline. Throws
 * `COSMO_E_IMPORT_INVALID` for a file that is no offline bundle of this format.
 */
export async function importBundle(file: string, options: ImportBundleOptions): Promise<ImportedBundle> {
  const npmOptions = options.npmOptions ?? {};
  const [tar, { default: cacache }] = await Promise.all([import("tar"), import("cacache")]);
  const work = await mkdtemp(join(tmpdir(), "cosmo-import-"));
  try {
    try {
      // tar strips absolute paths and `..` by default; only the archive's own root is read.
      await tar.x({ file, cwd: work, filter: (path) => path === ROOT || path.startsWith(`${ROOT}/`) });
    } catch (error) {
      throw invalid(file, `it cannot be read as a .tgz (${errorMessage(error)})`, error);
    }
    const dir = join(work, ROOT);
    let meta: OfflineBundleMeta;
    let lock: Lockfile;
    try {
      meta = JSON.parse(await readFile(join(dir, "bundle.json"), "utf8")) as OfflineBundleMeta;
      lock = JSON.parse(await readFile(join(dir, "package-lock.json"), "utf8")) as Lockfile;
    } catch (error) {
      throw invalid(file, `it holds no ${ROOT}/bundle.json and package-lock.json (made by \`cosmo-runner export\`?)`, error);
    }
    if (meta.format !== OFFLINE_BUNDLE_FORMAT || !Array.isArray(meta.sources) || !Array.isArray(meta.tarballs)) {
      throw invalid(file, `its format is ${String(meta.format)}, this runner reads format ${OFFLINE_BUNDLE_FORMAT}`);
    }
    const cache = cacacheDir(npmOptions);
    const importedDir = join(options.dataDir, "cache", "imported");
    const sources = meta.sources.map(String);
    const packages = lock.packages ?? {};
    for (const tarball of meta.tarballs) {
      const entry = packages[tarball.location];
      // The lockfile is what will be installed: its integrity is the one that must hold.
      const pinned = entry?.integrity ?? tarball.integrity;
      let data: Buffer;
      try {
        data = await readFile(join(dir, String(tarball.file).replace(/\.\.+/g, "")));
      } catch (error) {
        throw invalid(file, `${tarball.file} (${tarball.name}@${tarball.version}) is missing from it`, error);
      }
      const checked = checkIntegrity(data, pinned);
      if (!checked.ok) throw createError("COSMO_E_INTEGRITY", { package: `${tarball.name}@${tarball.version}`, expected: pinned, actual: checked.actual });
      if (!String(tarball.resolved).startsWith("file:")) {
        await cacache.put(cache, `make-fetch-happen:request-cache:${tarball.resolved}`, data, { integrity: pinned });
        // With a URL and an integrity, npm reads the tarball from the cache by its digest; with
        // no URL (omit-lockfile-registry-resolved) it would ask the registry for the packument.
        if (entry !== undefined && entry.resolved === undefined) entry.resolved = tarball.resolved;
        continue;
      }
      // A local tarball (a packed directory, a .tgz path): kept under the data dir, and the set
      // and the lockfile point at the copy, which exists on this machine.
      await mkdir(importedDir, { recursive: true });
      const copy = join(importedDir, `${tarball.name.replace(/[^A-Za-z0-9._@-]+/g, "+")}-${tarball.version}-${randomBytes(4).toString("hex")}.tgz`);
      await writeFile(copy, data);
      if (entry !== undefined) entry.resolved = `file:${copy}`;
      // A plugin installed from this tarball (not a dependency of one): its source becomes the copy.
      if (tarball.location === `node_modules/${tarball.name}`) {
        for (const plugin of meta.plugins ?? []) {
          const i = sources.indexOf(plugin.source);
          if (plugin.name === tarball.name && i !== -1) sources[i] = copy;
        }
      }
    }
    return { meta, sources, lockfile: lock as Record<string, unknown>, cache };
  } catch (error) {
    if (isCosmoError(error)) throw error;
    throw invalid(file, errorMessage(error), error);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
