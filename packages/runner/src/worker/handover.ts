/**
 * Handover forwarding. After a reload the old worker stops accepting connections, but clients
 * (undici's fetch, browsers, proxies) keep idle keep-alive connections to it and send their next
 * request there. Answering those from the old plugins would serve the previous bundle after
 * apply has said the new one serves; cutting the connections drops requests. So the draining
 * worker forwards each such request to the port it shares with the new worker: it has closed its
 * own copy of the shared listening socket, so only workers still listening accept the new
 * connection, i.e. the new one.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";

/** Marks a forwarded request, so a worker never forwards one twice (no loop, whatever happens). */
export const HANDOVER_HEADER = "x-cosmo-handover";

// Hop-by-hop headers belong to one connection and are never forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"]);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

/** The loopback address that reaches a server listening on `host` (wildcards → loopback). */
export function loopbackFor(host: string): string {
  if (host === "0.0.0.0" || host === "" || host === "localhost") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "::1";
  return host.replace(/^\[|\]$/g, "");
}

/**
 * The host part of a URL that reaches a server listening on `host`: a wildcard becomes loopback
 * (a client cannot connect to 0.0.0.0, and its Host header would fail the DNS-rebinding guard),
 * IPv6 gets its brackets.
 */
export function urlHost(host: string): string {
  const address = loopbackFor(host);
  return address.includes(":") ? `[${address}]` : address;
}

/** True when a request was already forwarded once and must be served here. */
export function wasForwarded(req: IncomingMessage): boolean {
  return req.headers[HANDOVER_HEADER] !== undefined;
}

/**
 * Forwards `req` to `host:port` and streams the answer back. `fallback` serves the request
 * locally when the new worker cannot be reached before any byte of the answer was sent (the
 * request is then still answered, by the old plugins, rather than failed).
 */
export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  target: { host: string; port: number },
  fallback: () => void,
): void {
  const upstream = httpRequest(
    {
      host: target.host,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...endToEnd(req.headers), [HANDOVER_HEADER]: "1" },
      agent: false,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.headers));
      answer.pipe(res);
    },
  );
  upstream.once("error", () => {
    // Only a request whose body has not been read yet can still be served here.
    if (!res.headersSent && req.readableEnded === false && !req.readableDidRead) fallback();
    else res.destroy();
  });
  req.pipe(upstream);
}
