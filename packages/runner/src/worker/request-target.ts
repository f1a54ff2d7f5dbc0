/**
 * The first check on every request a server process receives, before h3 sees it: h3 (srvx)
 * builds `new URL()` from the Host header and the request target, and a Host no URL can hold
 * (`127.0.0.1:99999`, `a b`, none at all on HTTP/1.0) made that throw outside any handler, in
 * the worker's event loop. Such a request is the client's mistake: a 400 with a code, here.
 * Requests the HTTP parser itself refuses (a malformed request line) come through `clientError`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { createError, type CosmoError } from "@cosmo/core";

// host[:port]: a bracketed IPv6 address or a name without separators, and at most five digits.
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[^\s/?#@[\]:\\]+)(?::(\d{1,5}))?$/;

/** Why a request cannot be served, or undefined when its Host and target make a valid URL. */
export function requestTargetProblem(req: IncomingMessage): CosmoError | undefined {
  const host = req.headers.host;
  if (host === undefined || host === "") {
    return createError("COSMO_E_REQUEST_INVALID", { reason: "the request has no Host header; send one (HTTP/1.1 requires it)" });
  }
  const target = req.url ?? "";
  // Origin-form only: an absolute or authority form target would name another host.
  if (!target.startsWith("/") || target.startsWith("//")) {
    return createError("COSMO_E_REQUEST_INVALID", { reason: `the request target ${JSON.stringify(target.slice(0, 100))} is not a path starting with "/"` });
  }
  const match = HOST.exec(host);
  try {
    // A Host with a path or credentials in it may parse, but it names something else than a host.
    if (!match || (match[2] !== undefined && Number(match[2]) > 65_535)) throw new Error("not host[:port]");
    new URL(`http://${host}${target}`);
  } catch {
    return createError("COSMO_E_REQUEST_INVALID", { reason: `the Host header ${JSON.stringify(host.slice(0, 100))} is not a valid host[:port]` });
  }
  return undefined;
}

/** Answers a refused request with its coded JSON error and closes the connection. */
export function refuseRequest(res: ServerResponse, error: CosmoError): void {
  const body = JSON.stringify(error.toJSON());
  res.shouldKeepAlive = false;
  res.writeHead(error.status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/**
 * A `clientError` listener: the parser refused the bytes (bad request line, bad header, too
 * large): answer 400 with a code, as for every other bad request, then close.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || (error.code === "ECONNRESET")) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
  const coded = createError("COSMO_E_REQUEST_INVALID", {
    reason: tooLarge
      ? "the request headers are too large"
      : error.code === "CONNECT_NOT_SUPPORTED"
        ? "CONNECT is not supported: this server is not a proxy"
        : `the HTTP request is malformed (${error.code ?? "parse error"})`,
  });
  const status = tooLarge ? 431 : 400;
  const body = JSON.stringify(coded.toJSON());
  socket.end(
    `HTTP/1.1 ${status} ${tooLarge ? "Request Header Fields Too Large" : "Bad Request"}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** A `connect` listener: this server is no proxy, so CONNECT gets a coded 400 too (Node would just close). */
export function refuseConnect(_req: IncomingMessage, socket: Socket): void {
  answerClientError(Object.assign(new Error("CONNECT"), { code: "CONNECT_NOT_SUPPORTED" }), socket);
}
