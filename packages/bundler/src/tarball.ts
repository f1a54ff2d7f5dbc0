/**
 * Reads one file out of a package tarball held in memory, so the check can look at a plugin's
 * cosmo.json without unpacking anything to disk. npm tarballs are gzip'd tar archives whose
 * entries sit under `package/` (the first segment is whatever the packer chose; npm strips it).
 */
import { Parser, type ReadEntry } from "tar";

/** The path inside the package (`package/cosmo.json` -> `cosmo.json`). */
function packagePath(entryPath: string): string {
  const slash = entryPath.indexOf("/");
  return slash === -1 ? entryPath : entryPath.slice(slash + 1);
}

/**
 * The contents of `file` (a path relative to the package root, e.g. `cosmo.json`) in a gzip'd
 * npm tarball, or undefined when the tarball has no such file. Throws when the archive is corrupt.
 */
export function readTarballFile(tgz: Buffer, file: string): Buffer | undefined {
  let found: Buffer | undefined;
  let failure: Error | undefined;
  const chunks: Buffer[] = [];
  // tar's Parser works synchronously on a buffer passed to end(): every callback below has run
  // by the time end() returns, so the caller keeps a plain synchronous answer.
  const parser = new Parser({
    strict: true,
    filter: (path, entry) => found === undefined && (entry as ReadEntry).type === "File" && packagePath(path) === file,
    onReadEntry: (entry) => {
      entry.on("data", (chunk: Buffer) => chunks.push(chunk));
      entry.on("end", () => {
        found = Buffer.concat(chunks);
      });
    },
  });
  parser.on("error", (error: Error) => {
    failure ??= error;
  });
  parser.end(tgz);
  if (failure !== undefined) throw failure;
  return found;
}
