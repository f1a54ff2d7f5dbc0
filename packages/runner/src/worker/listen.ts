/**
 * A worker listens with node:http and h3's toNodeHandler, not with listhen. listhen probes the
 * port first (get-port-please listens on it and closes again) and, when it is taken, moves to
 * another port on its own. In a cluster worker both go wrong: the probe's listen joins the
 * primary's shared handle, so while the old worker serves, the primary may hand a client
 * connection to the probe server, which closes with it unanswered (a dropped request in the
 * middle of a reload); and a worker that silently picked another port would leave the runner
 * split over two ports. So workers bind exactly the port given, and fail with a coded error
 * otherwise. listhen serves the single-process mode (`start --no-cluster`), where neither applies.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Server as NetServer, type AddressInfo } from "node:net";
import { createError } from "@cosmo/core";
import { toNodeHandler, type H3 } from "h3";

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
   * cut would see a reset, while the `Keep-Alive: timeout` header tells clients (undici, browsers)
   * to stop reusing it before the server closes it. Connections still open after `timeout` ms
   * are cut.
   */
  drain(handover: boolean): Promise<void>;
}

/** Listens on exactly `host:port` (0 = any free port); rejects with COSMO_E_LISTEN_FAILED. */
export async function listenNode(app: H3, options: { port: number; host: string; drainTimeout?: number }): Promise<ListeningServer> {
  const handler = toNodeHandler(app);
  const open = new Set<ServerResponse>();
  let draining: Promise<void> | undefined;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (draining) res.shouldKeepAlive = false;
    open.add(res);
    res.once("close", () => open.delete(res));
    void handler(req, res);
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(createError("COSMO_E_LISTEN_FAILED", { host: options.host, port: options.port, reason: error.code ?? error.message }, { cause: error }));
    };
    server.once("error", onError);
    server.listen(options.port, options.host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;

  const drain = (handover: boolean): Promise<void> => {
    draining ??= new Promise<void>((resolve) => {
      // Responses not yet started close their connection after they are sent.
      for (const res of open) if (!res.headersSent) res.shouldKeepAlive = false;
      const cut = setTimeout(() => server.closeAllConnections(), options.drainTimeout ?? 30_000);
      cut.unref();
      const done = () => {
        clearTimeout(cut);
        resolve();
      };
      // http.Server#close also cuts idle keep-alive connections at once (Node >= 19); on a
      // handover net.Server#close stops accepting without that (see `drain` above).
      if (handover) NetServer.prototype.close.call(server, done);
      else server.close(done);
    });
    return draining;
  };

  return { server, url: `http://${host}:${port}`, port, drain };
}
