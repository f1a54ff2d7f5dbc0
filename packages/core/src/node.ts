/**
 * `@cosmo/core/node`: runs a web-standard fetch handler (such as the plugin router) behind
 * node:http, with node builtins only. Bodies are streamed both ways and never buffered or
 * size-limited here: limits belong to the host.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createError, isCosmoError, type CosmoError } from "./errors";

/** A web-standard request handler. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/** A node:http request listener. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Options of `toWebRequest`. */
export interface WebRequestOptions {
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
  /**
   * The body, when a framework has already read the stream (see @cosmo/core/express and
   * @cosmo/core/fastify); absent = the stream is read, lazily, as the handler reads the body.
   */
  body?: BodyInit | null;
}

/** True when the request announces a body (a length above 0, or chunks). */
export function announcesBody(req: IncomingMessage): boolean {
  return Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;
}

/**
 * A web stream over a node request that reads nothing until the handler reads the body: a
 * request no plugin route matches leaves the stream untouched for the host's next handler.
 */
function lazyBody(req: IncomingMessage): ReadableStream<Uint8Array> {
  let chunks: AsyncIterator<Buffer> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        chunks ??= req[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
        const { value, done } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      },
      async cancel() {
        await chunks?.return?.();
      },
    },
    // 0: no read ahead, not even the first chunk, until someone asks for it.
    { highWaterMark: 0 },
  );
}

/**
 * Builds a web Request from a node:http request, its body streamed as the handler reads it.
 * Throws COSMO_E_BODY_UNREADABLE when another middleware has already read a body it announced
 * and none is given in `options.body`.
 */
export function toWebRequest(req: IncomingMessage, options: WebRequestOptions | AbortSignal = {}): Request {
  const { signal, body } = options instanceof AbortSignal ? { signal: options, body: undefined } : options;
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
  let requestBody: BodyInit | null | undefined;
  if (!hasBody) requestBody = undefined;
  else if (body !== undefined) {
    requestBody = body;
    // The body given replaces the announced one: its framing headers no longer describe it.
    headers.delete("content-length");
    headers.delete("transfer-encoding");
  } else if (req.readableEnded && announcesBody(req)) {
    throw createError("COSMO_E_BODY_UNREADABLE", { method, path: url.pathname });
  } else requestBody = lazyBody(req);
  return new Request(url, {
    method,
    headers,
    signal,
    body: requestBody,
    // Required by undici for a streamed body: the request is sent while it is still being read.
    ...(requestBody instanceof ReadableStream ? { duplex: "half" } : {}),
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
 * The coded error a failure before the response answers with: a Cosmo error as it is (such as
 * COSMO_E_BODY_UNREADABLE), a Host header no URL can hold as the client's fault (400), anything
 * else as COSMO_E_INTERNAL (whose stack the caller logs).
 */
export function failureError(error: unknown): CosmoError {
  if (isCosmoError(error)) return error;
  if (error instanceof TypeError && (error as { code?: string }).code === "ERR_INVALID_URL") {
    return createError("COSMO_E_REQUEST_INVALID", { reason: "the Host header or URL is not valid" });
  }
  return createError("COSMO_E_INTERNAL");
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
        const response = await fetch(toWebRequest(req, { signal: controller.signal }));
        await sendWebResponse(res, response, req.method);
      } catch (error) {
        if (!res.headersSent) {
          const coded = failureError(error);
          if (coded.code === "COSMO_E_INTERNAL") console.error("[cosmo] the fetch handler failed:", error);
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
