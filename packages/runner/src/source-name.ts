// Tarball names from `npm pack` are <name>-<version>.tgz; the version is not part of a name.
const PACKED_VERSION = /-v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/;
const ARCHIVE_EXT = /\.(?:tgz|tar\.gz|tar|git)$/i;
const SCOPED_SPEC = /^(@[^/@\s]+\/[^/@\s]+)(?:@.*)?$/;
const PLAIN_SPEC = /^([^/@\s]+)(?:@.*)?$/;
const PROTOCOL = /^[a-z][a-z0-9+.-]*:/i;

/** The last path segment of a path or URL, without ref, query, archive extension or version. */
function baseName(pathLike: string): string {
  const clean = pathLike.replace(/[#?].*$/, "").replace(/[\\/]+$/, "");
  const last = clean.split(/[\\/:]/).pop() ?? clean;
  const stem = last.replace(ARCHIVE_EXT, "");
  return stem.replace(PACKED_VERSION, "") || stem;
}

/**
 * A display name for a plugin source: the package name of an npm spec (`@acme/switch@^1` gives
 * `@acme/switch`), else the last segment of a path, URL or git remote (`./dist/switch-1.2.0.tgz`
 * gives `switch`). Only a label: the bundler reads the real name from the package.
 * @example deriveName("npm:smart-switch@1.0.0") // "smart-switch"
 */
export function deriveName(source: string): string {
  let spec = source.trim();
  if (spec.toLowerCase().startsWith("npm:")) spec = spec.slice(4);
  const isPath = /^(?:\.{1,2}[\\/]|[\\/~]|[a-z]:[\\/])/i.test(spec) || ARCHIVE_EXT.test(spec.replace(/[#?].*$/, ""));
  if (!isPath && !PROTOCOL.test(spec) && !spec.startsWith("git@")) {
    const npm = SCOPED_SPEC.exec(spec) ?? PLAIN_SPEC.exec(spec);
    if (npm?.[1]) return npm[1];
  }
  // Paths, URLs, git remotes and GitHub shorthands (user/repo#ref) all end in the thing's name.
  return baseName(spec) || spec;
}
