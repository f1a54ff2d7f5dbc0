/**
 * `@cosmo/core/node`: runs a web-standard fetch handler (such as the plugin router) behind
 * node:http, with node builtins only. Bodies are streamed both ways and never buffered or
 * size-limited here: limits belong to the host.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createError } from "./errors";

/** A web-standard request handler. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/** A node:http request listener. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Builds a web Request from a node:http request (its body streamed, not read). */
export function toWebRequest(req: IncomingMessage, signal?: AbortSignal): Request {
  const tls = (req.socket as { encrypted?: boolean }).encrypted === true;
  const host = req.headers.host ?? "localhost";
  // Origin + path, never `new URL(req.url, base)`: a request-target like "//other.example/x"
  // would otherwise be read as a URL on another host.
  const target = req.url?.startsWith("/") ? req.url : "/";
  const url = new URL(`${tls ? "https" : "http"}://${host}${target}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headersDistinct)) {
    // HTTP/2 pseudo-headers (":path", ...) are not valid in a Headers object.
    if (name.startsWith(":") || value === undefined) continue;
    for (const v of value) headers.append(name, v);
  }
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  return new Request(url, {
    method,
    headers,
    signal,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    // Required by undici for a streamed body: the request is sent while it is still being read.
    ...(hasBody ? { duplex: "half" } : {}),
  } as RequestInit);
}

/** Writes a web Response to a node:http response, streaming its body. */
export async function sendWebResponse(res: ServerResponse, response: Response, method = "GET"): Promise<void> {
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  // Set-Cookie is the one header that must not be joined with commas.
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") res.setHeader(name, value);
  });
  if (!response.body || method === "HEAD") {
    await response.body?.cancel();
    res.end();
    return;
  }
  await pipeline(Readable.fromWeb(response.body as import("node:stream/web").ReadableStream), res);
}

/**
 * Adapts a fetch handler to a node:http listener.
 * @example createServer(toNodeListener(router.fetch)).listen(3000, "127.0.0.1")
 */
export function toNodeListener(fetch: FetchHandler): NodeListener {
  return (req, res) => {
    // Aborts the Request's signal when the client goes away before the answer is sent.
    const controller = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    void (async () => {
      try {
        const response = await fetch(toWebRequest(req, controller.signal));
        await sendWebResponse(res, response, req.method);
      } catch (error) {
        if (!res.headersSent) {
          // A Host header no URL can hold is the client's fault (400); anything else is ours.
          const badRequest = error instanceof TypeError && (error as { code?: string }).code === "ERR_INVALID_URL";
          if (!badRequest) console.error("[cosmo] the fetch handler failed:", error);
          const coded = badRequest
            ? createError("COSMO_E_REQUEST_INVALID", { reason: "the Host header or URL is not valid" })
            : createError("COSMO_E_INTERNAL");
          res.statusCode = coded.status;
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify(coded.toJSON()));
        } else {
          res.destroy(error as Error);
        }
      }
    })();
  };
}
