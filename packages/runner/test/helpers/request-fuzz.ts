/**
 * fast-check arbitraries for raw HTTP/1.x requests: request lines, targets with dot segments in
 * every spelling, Host headers with bad ports and odd characters, or none.
 */
import fc from "fast-check";

const segment = fc.oneof(
  fc.constantFrom("a", "b", "x", "health", "plugins", "installed", "version", "..", ".", "%2e%2e", ".%2E", "%2E.", "%2e", "%2f", "%5c", "%00", "%", "%zz", "~", "%7e", "", "é", "%C3%A9", ";x", "*"),
  fc.string({ maxLength: 6 }),
);
const path = fc.array(segment, { maxLength: 6 }).map((s) => `/${s.join("/")}`);
const query = fc.option(fc.string({ maxLength: 10 }), { nil: undefined }).map((q) => (q === undefined ? "" : `?${q}`));
const target = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(path, query).map(([p, q]) => p + q) },
  { weight: 1, arbitrary: fc.constantFrom("*", "http://127.0.0.1/b/version", "//x/y", "", "b/version", "/\u0000", "/\r") },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);
const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH") },
  { weight: 1, arbitrary: fc.constantFrom("get", "CONNECT", "TRACE", "PRI", "X", "") },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);
const version = fc.oneof({ weight: 6, arbitrary: fc.constantFrom("HTTP/1.1", "HTTP/1.0") }, { weight: 1, arbitrary: fc.constantFrom("HTTP/2.0", "HTTP/1", "http/1.1", "") });
const port = fc.oneof(fc.integer({ min: 0, max: 70_000 }).map(String), fc.constantFrom("", "99999", "-1", "80a", "0x50", "65536"));
const hostName = fc.oneof(fc.constantFrom("127.0.0.1", "localhost", "[::1]", "[::1", "a b", "@evil", "x/y", "évil", ""), fc.string({ maxLength: 10 }));
const host = fc.option(
  fc.tuple(hostName, fc.option(port, { nil: undefined })).map(([h, p]) => (p === undefined ? h : `${h}:${p}`)),
  { nil: undefined, freq: 5 },
);

/** One raw request: request line, maybe a Host header, maybe a body. */
export function requestLineArbitrary(): fc.Arbitrary<string> {
  return fc
    .record({ method, target, version, host, body: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }) })
    .map(({ method, target, version, host, body }) => {
      const headers = [host === undefined ? undefined : `Host: ${host}`, body === undefined ? undefined : `Content-Length: ${Buffer.byteLength(body)}`, "Connection: close"];
      return `${method} ${target} ${version}\r\n${headers.filter(Boolean).join("\r\n")}\r\n\r\n${body ?? ""}`;
    });
}
