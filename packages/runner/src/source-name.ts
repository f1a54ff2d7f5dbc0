import npa from "npm-package-arg";

// Tarball names from `npm pack` are <name>-<version>.tgz; the version is not part of a name.
const PACKED_VERSION = /-v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/;
const ARCHIVE_EXT = /\.(?:tgz|tar\.gz|tar|git)$/i;

/** The last path segment of a path or URL, without ref, query, archive extension or version. */
function baseName(pathLike: string): string {
  const clean = pathLike.replace(/[#?].*$/, "").replace(/[\\/]+$/, "");
  const last = clean.split(/[\\/:]/).pop() ?? clean;
  const stem = last.replace(ARCHIVE_EXT, "");
  return stem.replace(PACKED_VERSION, "") || stem;
}

/** The package name npm-package-arg reads from a spec: its own, an alias's target, a git repo's. */
function specName(spec: string): string | undefined {
  try {
    const parsed = npa(spec);
    // An alias (`npm:name@range`) keeps its target in subSpec, which the typings predate.
    const target = (parsed as { subSpec?: npa.Result }).subSpec;
    return parsed.name ?? target?.name ?? parsed.hosted?.project ?? undefined;
  } catch {
    return undefined; // not a spec npm reads: the path-like fallback still gives a label
  }
}

/**
 * A display name for a plugin source: the package name of an npm spec (`@acme/switch@^1` gives
 * `@acme/switch`), else the last segment of a path, URL or git remote (`./dist/switch-1.2.0.tgz`
 * gives `switch`). Only a label: the bundler reads the real name from the package.
 * @example deriveName("npm:smart-switch@1.0.0") // "smart-switch"
 */
export function deriveName(source: string): string {
  const spec = source.trim();
  return specName(spec) || baseName(spec) || spec;
}
