/**
 * A worker listens with node:http and h3's toNodeHandler, not with listhen (checked with
 * listhen 1.10 / get-port-please in cluster workers, Node 20):
 * - listhen resolves the port before listening (probe, then `listen(port)`). Under round-robin
 *   the probe was harmless (the primary re-routed a connection the closed probe refused), but
 *   `--port 0` breaks: the serving worker's socket in the primary is keyed by port 0 (and by the
 *   worker's count of listen requests, which a probe bumps), so the next worker's concrete port
 *   does not join it: that worker ended up on another port (3000), the runner split in two.
 *   A plain `listen(0)` in every worker shares the one socket, hence the one port.
 * - A taken port makes listhen move to another one silently (unless isProd), its `autoClose`
 *   exits on SIGTERM without draining, and its close() (http-shutdown) cuts idle keep-alive
 *   connections at once, which during a handover drops requests (see `drain`).
 * So workers bind exactly the port given and fail with a coded error otherwise. listhen serves
 * the single-process mode (`start --no-cluster`), where none of this applies.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Server as NetServer, type AddressInfo } from "node:net";
import { createError } from "@cosmo/core";
import type { H3 } from "h3";
import { toNodeHandler } from "h3/node";
import { forward, loopbackFor, urlHost, wasForwarded } from "./handover";
import type { HeldSocket } from "./held-socket";
import { answerClientError, refuseConnect, refuseRequest, requestTargetProblem } from "./request-target";

/** A listening worker server that can be drained. */
export interface ListeningServer {
  server: Server;
  /** The URL it serves, e.g. `http://127.0.0.1:3000`. */
  url: string;
  port: number;
  /**
   * Stops accepting connections, answers in-flight requests (with `Connection: close`, so
   * clients open their next connection to the new worker) and resolves when every connection
   * has ended. `handover`: a new worker already serves, so idle keep-alive connections are left
   * to their keep-alive timeout instead of being cut: a client reusing one at the moment it is
   * cut sees a reset (measured: cutting them, as http.Server#close does, failed 5-6 of ~5,000
   * requests per reload under load; leaving them, 0), while the `Keep-Alive: timeout` header
   * tells clients (undici, browsers) to stop reusing one before the server closes it.
   * Connections still open after `drainTimeout` ms are cut, except those whose request is
   * `held` (an admin operation the worker accepted): its answer is the operation's result, so
   * it is waited for, however long the operation takes (see `held`).
   */
  drain(handover: boolean): Promise<void>;
  /** How many held requests (admin operations) are still unanswered. */
  held(): number;
}

/**
 * A request whose answer a drain never cuts: an admin operation (install, apply...) accepted by
 * this worker. Its effect lands whether or not the answer is read, so cutting the connection
 * would only take the client's answer away (issue: queued applies in a replaced worker got a
 * socket error instead of their result). Reads and plugin routes keep the drain's time bound.
 */
export function isHeldRequest(req: IncomingMessage): boolean {
  if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return false;
  const path = (req.url ?? "").split("?")[0]!;
  return path === "/plugins" || path.startsWith("/plugins/");
}

/**
 * Listens on exactly `host:port` (0 = any free port); rejects with COSMO_E_LISTEN_FAILED.
 * `socket`: the listening socket this worker held as the standby (see held-socket.ts), listened
 * on as is, so the socket the serving worker accepted on is the one this worker accepts on.
 */
export async function listenNode(
  app: H3,
  options: { port: number; host: string; drainTimeout?: number; socket?: HeldSocket; onRequest?: (req: IncomingMessage, res: ServerResponse) => void },
): Promise<ListeningServer> {
  const handler = toNodeHandler(app);
  const open = new Set<ServerResponse>();
  const held = new Set<ServerResponse>();
  // The drain's bound has passed: once no held request remains, every connection goes.
  let cutDue = false;
  let draining: Promise<void> | undefined;
  // Set once a new worker serves the port: requests still reaching us go there (see handover.ts).
  let handoverTo: { host: string; port: number } | undefined;

  let socket = options.socket;
  // Held for another address (not one the supervisor gives): let it go, or it keeps that port bound.
  if (socket && (socket.host !== options.host || socket.port !== options.port)) {
    (socket.handle as { close(): void }).close();
    socket = undefined;
  }
  const server = socket?.server ?? createServer();
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    options.onRequest?.(req, res);
    if (draining) res.shouldKeepAlive = false;
    open.add(res);
    if (isHeldRequest(req)) held.add(res);
    res.once("close", () => {
      open.delete(res);
      if (held.delete(res) && cutDue && held.size === 0) server.closeAllConnections();
    });
    const problem = requestTargetProblem(req);
    if (problem) return refuseRequest(res, problem);
    const serveHere = () => void handler(req, res);
    if (handoverTo !== undefined && !wasForwarded(req)) forward(req, res, handoverTo, serveHere);
    else serveHere();
  });

  server.on("clientError", answerClientError);
  server.on("connect", refuseConnect);

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(createError("COSMO_E_LISTEN_FAILED", { host: options.host, port: options.port, reason: error.code ?? error.message }, { cause: error }));
    };
    server.once("error", onError);
    const listening = () => {
      server.off("error", onError);
      resolve();
    };
    if (socket) server.listen(socket.handle, listening);
    else server.listen(options.port, options.host, listening);
  });
  const { port } = server.address() as AddressInfo;

  const drain = (handover: boolean): Promise<void> => {
    draining ??= new Promise<void>((resolve) => {
      // Responses not yet started close their connection after they are sent.
      for (const res of open) if (!res.headersSent) res.shouldKeepAlive = false;
      // At the bound, every connection goes but those carrying a held request; each held one
      // ends with its answer (shouldKeepAlive is off while draining), and the drain with them.
      const cut = setTimeout(() => {
        cutDue = true;
        if (held.size === 0) return server.closeAllConnections();
        const keep = new Set([...held].map((res) => res.socket));
        for (const res of open) if (!keep.has(res.socket)) res.socket?.destroy();
        server.closeIdleConnections();
      }, options.drainTimeout ?? 30_000);
      cut.unref();
      const done = () => {
        clearTimeout(cut);
        resolve();
      };
      // http.Server#close also cuts idle keep-alive connections at once (Node >= 19); on a
      // handover net.Server#close stops accepting without that (see `drain` above).
      if (handover) {
        NetServer.prototype.close.call(server, done);
        handoverTo = { host: loopbackFor(options.host), port };
      } else server.close(done);
    });
    return draining;
  };

  return { server, url: `http://${urlHost(options.host)}:${port}`, port, drain, held: () => held.size };
}
