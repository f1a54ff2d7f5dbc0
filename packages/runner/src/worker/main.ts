/**
 * The entry of a server worker (forked by the supervisor with node:cluster). It builds the
 * server for the bundle its config names, listens, says `ready`, and from then on does what the
 * primary says: drain and exit, or deliver the outcome of a reload it asked for.
 */
import { fileURLToPath } from "node:url";
import { preloadInstaller } from "@cosmo/bundler";
import { createError, deserializeError, isCosmoError, type PluginService } from "@cosmo/core";
import { logAccess } from "../http/access-log";
import { createLogger, getLogger, useLogger, type Logger } from "../logger";
import { installContainment } from "./containment";
import { holdSocket, type HeldSocket } from "./held-socket";
import { listenNode, type ListeningServer } from "./listen";
import {
  isCosmoMessage,
  serializeError,
  type CosmoMessage,
  type ReloadOptions,
  type ReloadResult,
  type WorkerConfig,
} from "./messages";
import { createWorkerServer, type WorkerServer } from "./server";

let logger: Logger = getLogger().child({ worker: process.pid });
const send = (message: CosmoMessage) => process.send?.(message);

const pending = new Map<number, { resolve: (r: ReloadResult) => void; reject: (e: Error) => void; settled: Promise<unknown> }>();

/** How often a retired worker still at work says so (the primary's kill bound is drainTimeout + 5 s). */
const HOLDING_EVERY_MS = 2_000;
let nextId = 1;

/** Asks the primary for a reload; settles when its answer comes back over IPC. */
function requestReload(options: ReloadOptions): Promise<ReloadResult> {
  // A worker draining after a handover still serves the requests of its open connections, and
  // one of them may be an apply from a client that reused its keep-alive connection: the
  // primary can reload for it all the same. Only a worker stopping for good refuses.
  if (!process.connected || (stopping && !handedOver)) {
    return Promise.reject(createError("COSMO_E_RELOAD_UNAVAILABLE", { reason: "this worker is shutting down" }));
  }
  const id = nextId++;
  let entry!: { resolve: (r: ReloadResult) => void; reject: (e: Error) => void };
  const answer = new Promise<ReloadResult>((resolve, reject) => (entry = { resolve, reject }));
  pending.set(id, { ...entry, settled: answer.catch(() => undefined) });
  send({ cosmo: true, type: "reload", id, options });
  return answer;
}

let server: WorkerServer | undefined;
let listening: ListeningServer | undefined;
let stopping: Promise<void> | undefined;
let handedOver = false;
// Another worker serves (a reload this worker asked for succeeded, or the primary drains us).
let retired = false;

/** Drains, tears the plugins down and exits: the only way a started worker ends on purpose. */
function stop(handover: boolean): Promise<void> {
  handedOver ||= handover && !stopping;
  retired = true;
  stopping ??= (async () => {
    // An admin operation this worker accepted (an apply queued behind the one that replaced
    // it) is answered with its result, and a reload it asked for with the primary's answer:
    // while any is unfinished, tell the primary we are still at work, so it does not kill us.
    const holding = setInterval(() => {
      if ((listening?.held() ?? 0) > 0 || pending.size > 0) send({ cosmo: true, type: "holding" });
    }, HOLDING_EVERY_MS);
    await listening?.drain(handover);
    // The primary answers every reload it was asked for (it runs them in order) while connected.
    while (pending.size > 0 && process.connected) await Promise.allSettled([...pending.values()].map((p) => p.settled));
    clearInterval(holding);
    await server?.dispose();
    for (const { reject } of pending.values()) reject(createError("COSMO_E_RELOAD_UNAVAILABLE", { reason: "the worker stopped" }));
    await farewell();
    process.exit(0);
  })();
  return stopping;
}

let exitOk: (() => void) | undefined;

/**
 * Waits (1 s at most) until the primary has read everything it sent us before, so that no
 * connection it handed to this worker is lost when we exit (see ExitingMessage).
 */
function farewell(): Promise<void> {
  if (!process.connected) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 1_000);
    exitOk = () => {
      clearTimeout(timer);
      resolve();
    };
    send({ cosmo: true, type: "exiting" });
  });
}

// A standby's hold on the listening socket (see held-socket.ts): asked for when the primary says
// warm, listened on once the config comes.
let held: Promise<HeldSocket | undefined> | undefined;

let configured: ((config: WorkerConfig) => void) | undefined;
const configReceived = new Promise<WorkerConfig>((resolve) => (configured = resolve));

process.on("message", (message: unknown) => {
  if (!isCosmoMessage(message)) return;
  if (message.type === "config") configured?.(message.config);
  // A standby has time before its config comes: npm's installer is then ready for its first apply,
  // and the listening socket stays open through its hold should the serving worker die.
  if (message.type === "warm") {
    void preloadInstaller();
    held ??= message.listen ? holdSocket(message.listen) : Promise.resolve(undefined);
    void held.then((socket) => send({ cosmo: true, type: "standing-by", holdsSocket: socket !== undefined }));
  }
  if (message.type === "exit-ok") exitOk?.();
  if (message.type === "drain") void stop(message.handover);
  if (message.type === "reload-result") {
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    // The new worker serves: start draining now, before the answer to the request that asked
    // for the reload (apply) is written, so that answer goes out with `Connection: close` and
    // the client's next request reaches the new worker. Waiting for the primary's drain
    // message instead races that answer: a client reusing the connection got the old plugins
    // once more. The primary's drain then joins this one.
    if (message.ok) {
      retired = true;
      void server?.unfollow();
      void listening?.drain(true);
      waiter?.resolve(message.result);
    }
    else waiter?.reject(deserializeError(message.error));
  }
});
// Ctrl-C reaches the whole process group: the primary decides what the workers do.
process.on("SIGINT", () => {});
process.on("SIGTERM", () => void stop(false));
// The primary is gone (killed): nobody can route to us any more, so end cleanly.
process.on("disconnect", () => {
  for (const { reject } of pending.values()) reject(createError("COSMO_E_RELOAD_UNAVAILABLE", { reason: "the supervisor is gone" }));
  pending.clear();
  void stop(false);
});

let service: PluginService | undefined;

async function start(): Promise<void> {
  if (!process.send) throw createError("COSMO_E_INTERNAL", {}, { message: "this file is started by the supervisor (no IPC channel)" });
  send({ cosmo: true, type: "config-request" });
  const config = await configReceived;
  const stallTimeout = config.stallTimeout ?? 5_000;
  // The supervisor's logging options: one form for the whole runner.
  logger = useLogger(createLogger(config.log)).child({ worker: process.pid });
  // Before any plugin code runs: from here on a plugin's exit, throw or block is its own fault.
  const containment = installContainment({
    report: (fault) => send({ cosmo: true, type: "fault", fault }),
    service: () => service,
    logger,
    watchdog:
      config.faultFd !== undefined && stallTimeout > 0
        ? { file: fileURLToPath(new URL("./watchdog.js", import.meta.url)), fd: config.faultFd, stallTimeout, markerFd: config.markerFd }
        : undefined,
  });
  server = await createWorkerServer(config, {
    requestReload,
    retired: () => retired,
    logger,
    onDiscovered: (plugins) => containment.knowPlugins(plugins),
    onService: (s) => (service = s),
  });
  const access = config.log?.access ? logger : undefined;
  listening = await listenNode(server.app, {
    port: config.port,
    host: config.host,
    socket: await held,
    drainTimeout: config.drainTimeout,
    onRequest: access && ((req, res) => logAccess(access, req, res)),
  });
  send({
    cosmo: true,
    type: "ready",
    pid: process.pid,
    url: listening.url,
    bundle: server.loaded.bundle,
    bundleId: server.loaded.bundleId,
    plugins: server.counts(),
    ...(config.fallback ? { fallback: config.fallback } : {}),
  });
  // Only now does the supervisor route this worker's reload requests: follow the fleet from here.
  server.follow().catch((error: unknown) => logger.warn(`cannot follow the shared plugin set: ${error instanceof Error ? error.message : String(error)}`));
}

start().catch(async (error: unknown) => {
  await server?.dispose();
  // A coded error is reported by the primary; anything else is a bug, and its stack is only here.
  if (!isCosmoError(error) || !process.send) logger.error(error);
  // Exit only once the message has reached the channel, so the primary learns why.
  if (process.send) process.send({ cosmo: true, type: "start-failed", error: serializeError(error) } satisfies CosmoMessage, () => process.exit(1));
  else process.exit(1);
});
