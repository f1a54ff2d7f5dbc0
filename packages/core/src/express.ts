/**
 * `@cosmo/core/express`: the plugin routes as Express middleware. Works behind `express.json()`,
 * `express.text()`, `express.urlencoded()` or `express.raw()`: a body the parser has read is
 * handed to the plugin from `req.body` (or `req.rawBody`, when a parser's `verify` kept the bytes);
 * an unread body is streamed as the plugin reads it. A request no plugin route matches goes on to
 * the next middleware untouched. Needs no Express import: it speaks Node's request and response.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createError } from "./errors";
import { failureError, sendWebResponse, toWebRequest, type FetchHandler } from "./node";
import { encodeParsedBody } from "./parsed-body";

/** What an Express request carries besides Node's (set by body parsers). */
interface ExpressRequest extends IncomingMessage {
  body?: unknown;
  rawBody?: unknown;
  /** body-parser's flag: the stream has been read into `body`. */
  _body?: boolean;
  originalUrl?: string;
}

/** An Express-style middleware. */
export type ExpressMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** Options of `cosmoExpress`. */
export interface CosmoExpressOptions {
  /**
   * When no plugin route matches: true (default) calls `next()` so the host's own routes and
   * 404 answer; false answers Cosmo's `404 COSMO_E_ROUTE_NOT_FOUND`.
   */
  fallthrough?: boolean;
}

/** True for the router's own "no route" answer (not a 404 a plugin chose to send). */
async function isNoRoute(response: Response): Promise<boolean> {
  if (response.status !== 404 || !response.headers.get("content-type")?.includes("json")) return false;
  try {
    return ((await response.clone().json()) as { error?: { code?: string } }).error?.code === "COSMO_E_ROUTE_NOT_FOUND";
  } catch {
    return false;
  }
}

/**
 * Express middleware serving the plugin routes of `handler` (a router's fetch).
 * @example
 * const router = createRouter(service)
 * app.use(express.json())
 * app.use(cosmoExpress(router.fetch))
 */
export function cosmoExpress(handler: FetchHandler | { fetch: FetchHandler }, options: CosmoExpressOptions = {}): ExpressMiddleware {
  const fetch = typeof handler === "function" ? handler : handler.fetch.bind(handler);
  const fallthrough = options.fallthrough ?? true;
  return (incoming, res, next) => {
    const req = incoming as ExpressRequest;
    const controller = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    void (async () => {
      try {
        // Express rewrites req.url under a mount path (app.use("/hooks", ...)); plugin routes
        // are full paths, so the original URL is the one to match.
        const url = req.originalUrl ?? req.url;
        const parsed = req._body === true || (req.readableEnded && req.body !== undefined);
        const body = parsed ? encodeParsedBody(req.body, req.headers["content-type"], req.rawBody) : undefined;
        const saved = req.url;
        req.url = url;
        let request: Request;
        try {
          request = toWebRequest(req, { signal: controller.signal, body });
        } finally {
          req.url = saved;
        }
        const response = await fetch(request);
        if (fallthrough && (await isNoRoute(response))) {
          await response.body?.cancel();
          next();
          return;
        }
        await sendWebResponse(res, response, req.method);
      } catch (error) {
        if (res.headersSent) {
          res.destroy(error as Error);
          return;
        }
        const coded = failureError(error);
        if (coded.code === "COSMO_E_INTERNAL") {
          // Express's error handler logs it and answers as the host has set it up.
          next(createError("COSMO_E_INTERNAL", {}, { cause: error }));
          return;
        }
        res.statusCode = coded.status;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(coded.toJSON()));
      }
    })();
  };
}
