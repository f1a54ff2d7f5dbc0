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
  // No `${prefix}/` string built per request: this runs on every plugin request.
  return path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 47);
}

// "scheme://authority", then a path the URL parser leaves exactly as it is (no escapes, no
// backslashes, nothing it would encode), then an optional query; no fragment.
const PLAIN_TARGET = /^(https?:\/\/[^/?#\\\s\x00-\x1f\x7f]*)(\/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*)(?:\?[^#]*)?$/;
const DOT_SEGMENT = /\/\.{1,2}(?:\/|$)/;
// A path the URL parser leaves as it is, as in PLAIN_TARGET.
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;
// Origins a request URL had, and whether the URL parser accepts them (a bounded memo: a
// server sees few Host values, and an attacker sending many only empties it).
const origins = new Map<string, boolean>();

/**
 * The path of a request URL as `canonicalPath(new URL(href).pathname)` would give it, without
 * parsing the URL, when that is plain to see (the usual request: `http://host:port/a/b?q`);
 * undefined when only the URL parser can tell (escapes, dot segments, an odd authority).
 * What the router matches per request without building a URL object.
 */
export function plainRequestPath(href: string): string | undefined {
  const match = PLAIN_TARGET.exec(href);
  if (!match || DOT_SEGMENT.test(match[2] as string)) return undefined;
  const origin = match[1] as string;
  let valid = origins.get(origin);
  if (valid === undefined) {
    if (origins.size >= 256) origins.clear();
    valid = URL.canParse(`${origin}/`);
    origins.set(origin, valid);
  }
  return valid ? (match[2] as string) : undefined;
}

/**
 * True when a path (a URL's pathname, as a URL parser gives it) is already in the one spelling
 * the router matches: no escapes, no dot segments, nothing a URL parser would encode.
 */
export function isPlainPath(path: string): boolean {
  return PLAIN_PATH.test(path) && !DOT_SEGMENT.test(path);
}
