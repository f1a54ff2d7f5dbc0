/**
 * Reads one file out of a package tarball held in memory, so the check can look at a plugin's
 * cosmo.json without unpacking anything to disk. npm tarballs are gzip'd ustar archives whose
 * entries sit under `package/`; we read headers block by block and stop at the file wanted.
 */
import { gunzipSync } from "node:zlib";

const BLOCK = 512;

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString("utf8");
}

function octal(header: Buffer, start: number, length: number): number {
  const text = field(header, start, length).trim();
  return text === "" ? 0 : Number.parseInt(text, 8);
}

/** The value of `path=` in a pax extended header (records are `<len> key=value\n`). */
function paxPath(body: Buffer): string | undefined {
  for (const record of body.toString("utf8").split("\n")) {
    const match = /^\d+ path=(.*)$/.exec(record);
    if (match) return match[1];
  }
  return undefined;
}

/** The path inside the package (`package/cosmo.json` -> `cosmo.json`): npm strips the first segment. */
function packagePath(entryPath: string): string {
  const slash = entryPath.indexOf("/");
  return slash === -1 ? entryPath : entryPath.slice(slash + 1);
}

/**
 * The contents of `file` (a path relative to the package root, e.g. `cosmo.json`) in a gzip'd
 * npm tarball, or undefined when the tarball has no such file.
 */
export function readTarballFile(tgz: Buffer, file: string): Buffer | undefined {
  const tar = gunzipSync(tgz);
  let offset = 0;
  let longPath: string | undefined;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break; // end of archive
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156] ?? 0);
    const bodyStart = offset + BLOCK;
    const body = tar.subarray(bodyStart, bodyStart + size);
    offset = bodyStart + Math.ceil(size / BLOCK) * BLOCK;

    // pax ("x") and GNU long-name ("L") entries carry the path of the entry that follows.
    if (type === "x") {
      longPath = paxPath(body) ?? longPath;
      continue;
    }
    if (type === "L") {
      longPath = field(body, 0, body.length);
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = longPath ?? (prefix === "" ? field(header, 0, 100) : `${prefix}/${field(header, 0, 100)}`);
    longPath = undefined;
    if ((type === "0" || type === "\0") && packagePath(name) === file) return Buffer.from(body);
  }
  return undefined;
}
