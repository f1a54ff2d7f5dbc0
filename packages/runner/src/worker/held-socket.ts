/**
 * The standby's hold on the runner's listening socket, so that connections wait rather than
 * being refused while a dead worker is replaced.
 *
 * The supervisor runs the cluster with `SCHED_NONE`: the primary binds the socket and sends its
 * fd to each worker that asks, each worker listens and accepts on it itself, and the primary
 * closes its copy only when the last worker registered on it is gone. A standby registers
 * (asks for the fd) as soon as it is told the address, but neither listens nor accepts: while
 * it lives the socket stays bound and listening in the kernel, whatever happens to the serving
 * worker. When that worker dies, new connections wait in the backlog until the standby, given
 * its config, listens on the handle it holds; they are never refused.
 *
 * Joining the serving worker's socket, rather than binding another, depends on asking exactly
 * what `server.listen(port, host)` asks: the primary keys its sockets by address, port (as
 * configured: 0 stays 0), address family, fd and a per-worker count of such requests. So the
 * standby makes net's own request (net.Server#listen: a dns.lookup of the host, then
 * `cluster._getServer` with this query), once, and later listens on the handle it got (a
 * handle listen makes no second request).
 */
import cluster from "node:cluster";
import { lookup } from "node:dns";
import { createServer, type Server } from "node:http";

/** A listening socket registered with the primary but not accepted on (yet). */
export interface HeldSocket {
  host: string;
  port: number;
  /** The server the socket was asked for: it must be the one that listens on it. */
  server: Server;
  /** The TCP handle to pass to `server.listen(handle)`. */
  handle: object;
}

/** node:cluster's worker-side request for a listening socket (internal, stable since Node 0.x). */
type GetServer = (server: Server, query: Record<string, unknown>, done: (errno: number, handle: object | null) => void) => void;

/**
 * Registers this worker on the primary's listening socket for `host:port` without accepting;
 * resolves undefined where that cannot be done (not a cluster worker, a Node without
 * `cluster._getServer`, or the primary could not bind), and the worker then listens as usual.
 */
export function holdSocket(address: { host: string; port: number }): Promise<HeldSocket | undefined> {
  const getServer = (cluster as unknown as { _getServer?: GetServer })._getServer;
  if (!cluster.isWorker || typeof getServer !== "function") return Promise.resolve(undefined);
  const server = createServer();
  return new Promise((resolve) => {
    // net.Server#listen(port, host, cb): lookupAndListen → listenInCluster(server, ip, port,
    // family, backlog, fd undefined, exclusive false, flags) → this query (backlog: what
    // listen(port, host, cb) derives from its arguments, false; flags: 0 without ipv6Only).
    lookup(address.host, (error, ip, family) => {
      if (error) return resolve(undefined);
      const query = { address: ip, port: address.port, addressType: ip ? family : 4, fd: undefined, flags: 0, backlog: false };
      getServer.call(cluster, server, query, (errno, handle) => {
        resolve(errno === 0 && handle ? { ...address, server, handle } : undefined);
      });
    });
  });
}
