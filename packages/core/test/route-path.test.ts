import { describe, expect, it } from "vitest";
import { canonicalPath, plainRequestPath } from "../src/route-path";

// Pieces a request URL is made of, tricky ones included: every combination is checked.
const origins = ["http://127.0.0.1:3000", "https://example.com", "http://EXAMPLE.com:80", "http://a@b", "http://999.1.1.1", "http://a:99999", "http://[::1]:3000", "http://a\\b", "http://_invalid_", "http://a b"];
const paths = ["/", "/p/hello", "/p//hello", "/p/./x", "/p/../admin", "/p/%2e%2e/admin", "/p/a%2Fb", "/p/.hidden", "/p/..x", "/p/hello world", "/p/é", "/p\\..\\admin", "/p/a;b=c", "/p/~user/:id@x", "/p/%61"];
const tails = ["", "?q=1", "?a=b c", "#frag", "?x#y"];

describe("plainRequestPath", () => {
  it("gives exactly what the URL parser and canonicalPath give, or leaves the URL to them", () => {
    let plain = 0;
    for (const origin of origins) {
      for (const path of paths) {
        for (const tail of tails) {
          const href = `${origin}${path}${tail}`;
          const fast = plainRequestPath(href);
          if (fast === undefined) continue;
          plain++;
          expect(URL.canParse(href), href).toBe(true);
          expect(fast, href).toBe(canonicalPath(new URL(href).pathname));
        }
      }
    }
    // The usual request takes the plain way.
    expect(plainRequestPath("http://127.0.0.1:3000/p/hello?x=1")).toBe("/p/hello");
    expect(plain).toBeGreaterThan(50);
  });

  it("leaves escapes, dot segments, backslashes and URLs the parser refuses to the parser", () => {
    for (const href of ["http://h/p/%2e%2e/a", "http://h/p/../a", "http://h/p/./a", "http://h/p\\a", "http://999.1.1.1/p", "http://a:99999/p", "http://h/p#f", "http://h/a b"]) {
      expect(plainRequestPath(href), href).toBeUndefined();
    }
  });
});
