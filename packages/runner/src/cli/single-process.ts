/**
 * `start --no-cluster`: the server in the CLI's own process, listening with listhen. No
 * supervisor, so no reload (apply answers COSMO_E_RELOAD_UNAVAILABLE): for debugging a plugin
 * with breakpoints, or for a host that supervises processes itself.
 */
import type { AddressInfo } from "node:net";
import { createError, errorMessage, type PluginService } from "@cosmo/core";
import { logAccess } from "../http/access-log";
import { getLogger } from "../logger";
import { toNodeHandler } from "h3/node";
import { listen } from "listhen";
import type { WorkerConfig } from "../worker/messages";
import { installContainment } from "../worker/containment";
import { createWorkerServer } from "../worker/server";
import { urlHost } from "../worker/handover";
import { refuseRequest, requestTargetProblem } from "../worker/request-target";

/** A server running in this process. */
export interface SingleProcessServer {
  url: string;
  bundleId: string | null;
  /** Stops accepting, finishes in-flight requests, tears the plugins down. */
  close(): Promise<void>;
}

/** Builds the server for `config.bundle` and listens on exactly its port. */
export async function serveSingleProcess(config: WorkerConfig): Promise<SingleProcessServer> {
  const logger = getLogger();
  // No supervisor to replace a faulty process here, but the guards still hold: a plugin's
  // process.exit throws into the plugin, its uncaught exceptions and rejections are logged and
  // charged to it (no watchdog, no quarantine: that takes the supervisor).
  let service: PluginService | undefined;
  installContainment({ report: () => {}, service: () => service, logger });
  const server = await createWorkerServer(config, { logger, onService: (s) => (service = s) });
  let listener;
  try {
    const handler = toNodeHandler(server.app);
    listener = await listen(
      (req, res) => {
        if (config.log?.access) logAccess(logger, req, res);
        const problem = requestTargetProblem(req);
        if (problem) return refuseRequest(res, problem);
        return handler(req, res);
      },
      {
      port: config.port,
      hostname: config.host,
      // isProd: a taken port is an error, not a silent move to another port (get-port-please's
      // fallback range) that the user's scripts would not know about. Not for port 0: with
      // isProd listhen turns 0 into 3000 instead of a free port.
      isProd: config.port !== 0,
      showURL: false, // the CLI prints one plain line a script can read
      autoClose: false, // listhen would exit(0) on SIGTERM without draining; the CLI drains
      },
    );
  } catch (error) {
    await server.dispose();
    throw createError("COSMO_E_LISTEN_FAILED", { host: config.host, port: config.port, reason: errorMessage(error) }, { cause: error });
  }
  const { port } = listener.address as AddressInfo;
  // Reconciles the set with the tracking file (no following without a supervisor to reload).
  void server.follow().catch(() => undefined);
  return {
    url: `http://${urlHost(config.host)}:${port}`,
    bundleId: server.loaded.bundleId,
    close: async () => {
      await listener.close(); // http-shutdown: waits for in-flight requests, closes idle sockets
      await server.dispose();
    },
  };
}
