/**
 * One spelling per path. A route pattern and a request path are compared only after both went
 * through `canonicalSegment`: percent-escapes of unreserved characters decoded (`%61` is `a`,
 * `%2E` is `.`), everything else left as sent. Dot segments are then visible whatever their
 * spelling (`..`, `%2e%2e`, `.%2E`), so a pattern cannot smuggle one past the prefix check, and
 * an encoded `/` stays encoded, so a request cannot split one segment into two.
 */

// RFC 3986 unreserved characters: the only ones whose escaped and plain forms are equivalent.
const UNRESERVED = /^[A-Za-z0-9._~-]$/;
const ESCAPE = /%([0-9A-Fa-f]{2})/g;

/** A path segment with the escapes of unreserved characters decoded. */
export function canonicalSegment(segment: string): string {
  if (!segment.includes("%")) return segment;
  return segment.replace(ESCAPE, (escape, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : escape.toUpperCase();
  });
}

/** True for a segment that means "this directory" or "the parent", in any spelling. */
export function isDotSegment(segment: string): boolean {
  const plain = canonicalSegment(segment);
  return plain === "." || plain === "..";
}

/** True when a segment holds an escaped `/` or `\` (which some servers decode into a separator). */
export function hasEncodedSeparator(segment: string): boolean {
  return /%(2f|5c)/i.test(segment);
}

/**
 * A request path as the router matches it: dot segments resolved (the URL parser already does,
 * in every spelling), each segment in its canonical spelling.
 */
export function canonicalPath(pathname: string): string {
  const out: string[] = [];
  for (const segment of pathname.split("/")) {
    const plain = canonicalSegment(segment);
    if (plain === ".") continue;
    if (plain === "..") {
      if (out.length > 1) out.pop();
      continue;
    }
    out.push(plain);
  }
  const path = out.join("/");
  return path.startsWith("/") ? path : `/${path}`;
}

/** True when `path` is `prefix` itself or lies under it. */
export function underPrefix(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}
