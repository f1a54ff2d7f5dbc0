/**
 * The plugin manager page at `/_cosmo/`: three static files built with the package
 * (dist/page: index.html, app.js, style.css). The files are public, like any login page; every
 * piece of data the page shows comes from the admin API with the token the user types in.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { createError } from "@cosmo/core";
import type { H3, H3Event } from "h3";

/** Where the page is served. */
export const PAGE_PATH = "/_cosmo/";

const TYPES: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
};

// The page renders plugin names, sources and error text that anyone who can add a plugin
// chose: nothing but our own script and style may run, and no other site may frame it.
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
};

interface Asset {
  body: Buffer;
  etag: string;
}

/**
 * The built page's directory: dist/page beside the bundled server code, or, for code run from
 * src/ (the package's own tests), the package's dist/page.
 */
function pageDirCandidates(): URL[] {
  return [new URL("./page/", import.meta.url), new URL("../../dist/page/", import.meta.url)];
}

async function loadAsset(name: string, dir: URL | undefined): Promise<Asset | undefined> {
  for (const base of dir ? [dir] : pageDirCandidates()) {
    try {
      const body = await readFile(fileURLToPath(new URL(name, base)));
      return { body, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` };
    } catch {
      // not in this candidate
    }
  }
  return undefined;
}

/** Options of `registerPage`. */
export interface PageOptions {
  /** The directory holding the built page; default dist/page of this package. */
  dir?: URL;
}

/**
 * Serves the page: `/_cosmo` redirects to `/_cosmo/`, which answers index.html; app.js and
 * style.css beside it. Each file is read once, then answered from memory with an ETag.
 */
export function registerPage(app: H3, options: PageOptions = {}): void {
  const cache = new Map<string, Promise<Asset | undefined>>();
  const serve = async (event: H3Event, name: string): Promise<Response> => {
    let loading = cache.get(name);
    if (!loading) cache.set(name, (loading = loadAsset(name, options.dir)));
    const asset = await loading;
    if (!asset) {
      cache.delete(name); // a build may put it there later
      throw createError("COSMO_E_API_ROUTE_NOT_FOUND", { method: event.req.method, path: event.url.pathname });
    }
    const headers = { "content-type": TYPES[name]!, "cache-control": "no-cache", etag: asset.etag, ...SECURITY_HEADERS };
    if (event.req.headers.get("if-none-match") === asset.etag) return new Response(null, { status: 304, headers });
    return new Response(new Uint8Array(asset.body), { status: 200, headers });
  };
  // The router takes `/_cosmo` and `/_cosmo/` for one path; the page's relative asset URLs need the slash.
  app.get("/_cosmo", (event) =>
    event.url.pathname.endsWith("/") ? serve(event, "index.html") : new Response(null, { status: 308, headers: { location: PAGE_PATH } }),
  );
  for (const name of Object.keys(TYPES)) {
    if (name !== "index.html") app.get(`${PAGE_PATH}${name}`, (event) => serve(event, name));
  }
}
