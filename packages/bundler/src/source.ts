/**
 * Plugin sources: what a user types (`plugin-ok@^1`, `./my-plugin`, `../x.tgz`, a git URL) parsed
 * with npm-package-arg into a typed Source, checked against what the host allows, and turned into
 * the `name -> spec` entry the bundled manifest carries.
 */
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createError, errorMessage } from "@cosmo/core";
import npa from "npm-package-arg";
import writeFileAtomic from "write-file-atomic";
import { loadArborist, loadPacote } from "./npm-libs";
import type { NpmOptions } from "./npm-options";

/** Where a plugin comes from, in npm-package-arg's terms reduced to what Cosmo treats apart. */
export type SourceType = "registry" | "tarball" | "directory" | "git" | "remote";

/** A parsed plugin source. */
export interface Source {
  /** The text as the user gave it (what the tracking file stores). */
  raw: string;
  type: SourceType;
  /** Package name when the spec says it (`name@range`, `name@file:x.tgz`); else read from the package. */
  name: string | undefined;
  /** What goes into the bundled manifest's dependencies: a range, `file:<abs path>`, a git or tarball URL. */
  spec: string;
}

/** What the host lets plugins come from. Registry specs and local tarballs/directories are always allowed. */
export interface SourcePolicy {
  /** Git sources (`github:u/r`, `git+https://...`); off by default (their code is not pinned by a registry). */
  allowGit?: boolean;
  /** Tarball URLs outside the registry; off by default. */
  allowRemote?: boolean;
  /** Directory relative paths resolve against; default `process.cwd()`. */
  where?: string;
  /**
   * How an operator of this host opts in, for the hint of a refused source: a host with flags
   * says `--allow-git`; the default names the option (`allowGit: true`).
   */
  optIn?: { git?: string; remote?: string };
}

/** The opt-in hint for a refused source type (see SourcePolicy.optIn). */
export function optInHint(policy: SourcePolicy, type: "git" | "remote"): string {
  return policy.optIn?.[type] ?? (type === "git" ? "allowGit: true" : "allowRemote: true");
}

/** A source whose package name is known: one entry of the bundled manifest. */
export interface ResolvedSource extends Source {
  name: string;
}

/**
 * Parses a plugin source. Throws `COSMO_E_SPEC_INVALID` for a malformed spec (or one that looks like
 * a CLI flag) and `COSMO_E_SOURCE_FORBIDDEN` for git/remote sources the host has not opted in to.
 * @example parseSource("plugin-ok@^1") // { type: "registry", name: "plugin-ok", spec: "^1", ... }
 */
export function parseSource(raw: string, policy: SourcePolicy = {}): Source {
  const text = raw.trim();
  // A leading "-" would reach npm as an option if a source ever lands on a command line.
  if (text === "" || text.startsWith("-")) {
    throw createError("COSMO_E_SPEC_INVALID", { source: raw, reason: text === "" ? "it is empty" : "it starts with -" });
  }
  let parsed: npa.Result;
  try {
    parsed = npa(text, policy.where ?? process.cwd());
  } catch (error) {
    throw createError("COSMO_E_SPEC_INVALID", { source: raw, reason: errorMessage(error) }, { cause: error });
  }
  const name = parsed.name ?? undefined;
  switch (parsed.type) {
    case "range":
    case "version":
    case "tag":
    case "alias":
      if (name === undefined) throw createError("COSMO_E_SPEC_INVALID", { source: raw, reason: "it names no package" });
      // A bare name is a "range" of "*": highest version, as npm install <name> picks.
      return { raw, type: "registry", name, spec: parsed.rawSpec === "" ? "*" : parsed.rawSpec };
    case "file":
      return { raw, type: "tarball", name, spec: `file:${resolve(parsed.fetchSpec ?? text)}` };
    case "directory":
      return { raw, type: "directory", name, spec: `file:${resolve(parsed.fetchSpec ?? text)}` };
    case "git":
      if (!policy.allowGit) {
        throw createError("COSMO_E_SOURCE_FORBIDDEN", { source: raw, type: "git", option: optInHint(policy, "git") });
      }
      return { raw, type: "git", name, spec: parsed.saveSpec ?? parsed.rawSpec };
    case "remote":
      if (!policy.allowRemote) {
        throw createError("COSMO_E_SOURCE_FORBIDDEN", { source: raw, type: "remote URL", option: optInHint(policy, "remote") });
      }
      return { raw, type: "remote", name, spec: parsed.fetchSpec ?? parsed.rawSpec };
    default:
      throw createError("COSMO_E_SPEC_INVALID", { source: raw, reason: `npm reads it as a ${String(parsed.type)} spec` });
  }
}

/** The spec npm-package-arg and pacote understand for a source: `name@spec` when the name is known. */
export function sourceSpec(source: Source): string {
  return source.name === undefined ? source.spec : `${source.name}@${source.spec}`;
}

/**
 * Packs a local directory plugin into `<cacheDir>/<name>-<version>-<hash>.tgz` (no scripts run) and returns
 * it as a tarball source. A directory would be a Link in the tree: its peers go unchecked and it
 * resolves imports from its own realpath, so every plugin must be a real node (DESIGN.md).
 */
export async function packDirectory(source: Source, cacheDir: string, npmOptions: NpmOptions = {}): Promise<ResolvedSource> {
  const dir = source.spec.slice("file:".length);
  // pacote packs a directory with npm-packlist, which needs Arborist to read the package tree.
  const [Arborist, pacote] = await Promise.all([loadArborist(), loadPacote()]);
  const opts = { ...npmOptions, Arborist, ignoreScripts: true };
  try {
    const manifest = await pacote.manifest(`file:${dir}`, opts);
    const tarball = await pacote.tarball(`file:${dir}`, opts);
    // The content hash in the name: repacking an edited directory must not overwrite a tarball an
    // existing lockfile pins by integrity.
    const hash = createHash("sha256").update(tarball).digest("hex").slice(0, 12);
    // The name comes from a directory's package.json, which nothing has validated: keep only
    // characters that cannot leave cacheDir ("a/../../x" would otherwise climb out of it).
    const safe = `${manifest.name}-${manifest.version}`.replace(/[^A-Za-z0-9._@-]+/g, "+").replace(/\.\.+/g, "+");
    const file = join(cacheDir, `${safe}-${hash}.tgz`);
    await mkdir(cacheDir, { recursive: true });
    await writeFileAtomic(file, tarball);
    return { raw: source.raw, type: "tarball", name: manifest.name, spec: `file:${file}` };
  } catch (error) {
    throw createError("COSMO_E_SPEC_INVALID", { source: source.raw, reason: `packing the directory failed: ${errorMessage(error)}` }, { cause: error });
  }
}

/**
 * Makes every source bundle-ready: parsed, directories packed into `cacheDir`, package names read
 * from the package itself where the spec does not say it (pacote.manifest, in memory).
 */
export async function resolveSources(
  sources: ReadonlyArray<string | Source>,
  options: SourcePolicy & { cacheDir: string; npmOptions?: NpmOptions },
): Promise<ResolvedSource[]> {
  return Promise.all(
    sources.map(async (input) => {
      let source = typeof input === "string" ? parseSource(input, options) : input;
      if (source.type === "directory") source = await packDirectory(source, options.cacheDir, options.npmOptions);
      if (source.name !== undefined) return source as ResolvedSource;
      try {
        const [Arborist, pacote] = await Promise.all([loadArborist(), loadPacote()]);
        const manifest = await pacote.manifest(source.spec, { ...options.npmOptions, Arborist, ignoreScripts: true });
        return { ...source, name: manifest.name };
      } catch (error) {
        // A source that cannot be reached is not a malformed one: say which it is.
        if (unreachable(error)) throw createError("COSMO_E_SOURCE_UNREACHABLE", { source: source.raw, reason: errorMessage(error) }, { cause: error });
        throw createError("COSMO_E_SPEC_INVALID", { source: source.raw, reason: `its package.json cannot be read: ${errorMessage(error)}` }, { cause: error });
      }
    }),
  );
}

// Fetch failures as npm's fetcher reports them: a socket error code, or an HTTP status.
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "FETCH_ERROR"]);

/** Whether pacote failed to reach a source at all (rather than finding something it cannot read). */
function unreachable(error: unknown): boolean {
  const e = error as { code?: unknown; errno?: unknown; statusCode?: unknown; type?: unknown } | null;
  if (!e) return false;
  if (typeof e.code === "string" && (NETWORK_CODES.has(e.code) || /^E[0-9]{3}$/.test(e.code))) return true;
  return typeof e.errno === "string" && NETWORK_CODES.has(e.errno);
}
