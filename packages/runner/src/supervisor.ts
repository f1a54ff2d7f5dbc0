/**
 * The supervisor: the cluster primary that runs the server in a worker and swaps workers
 * without dropping requests. A reload forks a worker on the current bundle, waits for its
 * `ready` (plugins loaded, listening on the shared port), and only then drains the old worker;
 * if the new one exits or is not ready in time it is killed, the bundle link is rolled back when
 * asked, and the old worker never stopped serving. A worker that dies on its own is restarted
 * with backoff, up to a crash-loop limit.
 */
import cluster, { type Worker } from "node:cluster";
import { fileURLToPath } from "node:url";
import { rollback } from "@cosmo/bundler";
import { createError, errorMessage, type CosmoError } from "@cosmo/core";
import { consola } from "consola";
import {
  isCosmoMessage,
  serializeError,
  WORKER_CONFIG_ENV,
  type ReadyMessage,
  type ReloadOptions,
  type ReloadResult,
  type SerializedError,
  type WorkerConfig,
} from "./worker/messages";
import { bundleToLoad } from "./worker/plugins";

/** Options of a Supervisor. */
export interface SupervisorOptions {
  /** The workers' config; the bundle is resolved afresh for every worker. */
  config: Omit<WorkerConfig, "bundle">;
  /** The worker entry file (default: worker.js beside this module in dist). */
  exec?: string;
  /** How long a new worker may take to say ready, in ms (default 60 000). */
  readyTimeout?: number;
  /** Crash loop: this many unexpected exits (default 5) within `crashWindow` ms (default 60 000) stop restarts. */
  maxCrashes?: number;
  crashWindow?: number;
  /** Called each time a worker takes traffic (start, reload, restart). */
  onServing?: (ready: ReadyMessage) => void;
  /** Called when the supervisor gives up (crash loop); the runner should exit non-zero. */
  onFatal?: (error: CosmoError) => void;
  /** Where the supervisor's lines go (default: consola tagged cosmo-runner). */
  logger?: SupervisorLogger;
}

/** The supervisor's log lines. */
export interface SupervisorLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

interface StartFailure {
  reason: string;
  error?: SerializedError;
}

/** Runs and reloads the server workers of one runner (cluster primary only). */
export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #log: SupervisorLogger;
  #current: Worker | undefined;
  #serving: ReadyMessage | undefined;
  readonly #retiring = new Set<Worker>();
  #queue: Promise<unknown> = Promise.resolve();
  #stopping = false;
  #crashes: number[] = [];

  constructor(options: SupervisorOptions) {
    if (!cluster.isPrimary) throw new Error("Supervisor runs in the cluster primary only");
    this.#options = options;
    this.#log = options.logger ?? consola.withTag("cosmo-runner");
    cluster.setupPrimary({ exec: options.exec ?? fileURLToPath(new URL("./worker.js", import.meta.url)), args: [] });
  }

  /** The worker taking traffic now, as its ready message described it. */
  get serving(): ReadyMessage | undefined {
    return this.#serving;
  }

  /** Starts the first worker; rejects with COSMO_E_WORKER_START_FAILED (or the worker's own coded error). */
  start(): Promise<ReloadResult> {
    return this.reload({ reason: "start" });
  }

  /**
   * Replaces the serving worker with one on the current bundle. Reloads run one at a time, in
   * order. Rejects with COSMO_E_WORKER_START_FAILED while the old worker keeps serving.
   */
  reload(options: ReloadOptions = {}): Promise<ReloadResult> {
    const run = this.#queue.then(() => this.#reload(options));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Drains every worker (in-flight requests finish, plugins are torn down) and waits for their exit. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#queue;
    const all = [...this.#retiring, ...(this.#current ? [this.#current] : [])];
    this.#current = undefined;
    await Promise.all(all.map((w) => this.#retire(w, false)));
  }

  async #reload(options: ReloadOptions): Promise<ReloadResult> {
    if (this.#stopping) throw createError("COSMO_E_RELOAD_UNAVAILABLE", { reason: "the runner is shutting down" });
    const started = Date.now();
    const { dataDir, clean } = this.#options.config;
    const bundle = await bundleToLoad(dataDir, clean);
    let worker: Worker;
    let ready: ReadyMessage;
    try {
      ({ worker, ready } = await this.#spawn(bundle));
    } catch (failure) {
      const { reason, error } = failure as StartFailure;
      let rolledBack = false;
      // Roll back only the bundle that failed: if another sync moved the link meanwhile, leave it.
      if (options.rollbackOnFailure && bundle !== null && (await bundleToLoad(dataDir, false).catch(() => null)) === bundle) {
        await rollback({ dataDir }).then(
          () => (rolledBack = true),
          (e: unknown) => this.#log.error(`rollback after the failed reload failed: ${errorMessage(e)}`),
        );
      }
      this.#log.error(`worker for bundle ${bundle ?? "(none)"} did not start: ${reason}`);
      throw createError("COSMO_E_WORKER_START_FAILED", {
        reason,
        bundle,
        previousServing: this.#current !== undefined,
        rolledBack,
        ...(error ? { error } : {}),
      });
    }
    const old = this.#current;
    this.#current = worker;
    this.#serving = ready;
    this.#watch(worker);
    if (old) void this.#retire(old, true);
    this.#log.info(`worker ${ready.pid} serves ${ready.url} (bundle ${ready.bundleId ?? "none"}, ${options.reason ?? "reload"})`);
    this.#options.onServing?.(ready);
    return { bundle: ready.bundle, bundleId: ready.bundleId, pid: ready.pid, plugins: ready.plugins, took_ms: Date.now() - started };
  }

  /** Forks a worker and waits for its ready message; rejects with a StartFailure and kills it otherwise. */
  #spawn(bundle: string | null): Promise<{ worker: Worker; ready: ReadyMessage }> {
    const worker = cluster.fork({ [WORKER_CONFIG_ENV]: JSON.stringify({ ...this.#options.config, bundle }) });
    const timeout = this.#options.readyTimeout ?? 60_000;
    return new Promise((resolve, reject) => {
      let reported: SerializedError | undefined;
      const timer = setTimeout(() => {
        cleanup();
        worker.process.kill("SIGKILL");
        reject({ reason: `not ready within ${timeout} ms` } satisfies StartFailure);
      }, timeout);
      const onMessage = (message: unknown) => {
        if (!isCosmoMessage(message)) return;
        if (message.type === "start-failed") reported = message.error;
        if (message.type === "ready") {
          cleanup();
          resolve({ worker, ready: message });
        }
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        const exit = signal ? `killed by ${signal}` : `exited with code ${code}`;
        reject({ reason: reported ? `${reported.code ?? "error"}: ${reported.message}` : `the worker ${exit} while starting`, error: reported } satisfies StartFailure);
      };
      const cleanup = () => {
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("exit", onExit);
      };
      worker.on("message", onMessage);
      worker.on("exit", onExit);
    });
  }

  /** Serves a worker's reload requests and notices when it dies unexpectedly. */
  #watch(worker: Worker): void {
    worker.on("message", (message: unknown) => {
      if (!isCosmoMessage(message)) return;
      // See ExitingMessage: answering proves every connection handoff before it was read.
      if (message.type === "exiting") {
        if (worker.isConnected()) worker.send({ cosmo: true, type: "exit-ok" });
        return;
      }
      if (message.type !== "reload") return;
      this.reload(message.options).then(
        (result) => worker.isConnected() && worker.send({ cosmo: true, type: "reload-result", id: message.id, ok: true, result }),
        (error: unknown) =>
          worker.isConnected() && worker.send({ cosmo: true, type: "reload-result", id: message.id, ok: false, error: serializeError(error) }),
      );
    });
    worker.once("exit", (code, signal) => {
      if (worker !== this.#current || this.#stopping) return;
      this.#current = undefined;
      this.#serving = undefined;
      this.#crashed(signal ? `killed by ${signal}` : `exited with code ${code}`);
    });
  }

  /** Restarts after an unexpected exit, with exponential backoff, until the crash-loop limit. */
  #crashed(reason: string): void {
    const now = Date.now();
    const window = this.#options.crashWindow ?? 60_000;
    const max = this.#options.maxCrashes ?? 5;
    this.#crashes = [...this.#crashes.filter((t) => now - t < window), now];
    if (this.#crashes.length >= max) {
      const error = createError("COSMO_E_WORKER_CRASH_LOOP", { crashes: this.#crashes.length, windowSeconds: window / 1000, reason });
      this.#log.error(error.message);
      this.#options.onFatal?.(error);
      return;
    }
    const delay = Math.min(250 * 2 ** (this.#crashes.length - 1), 10_000);
    this.#log.warn(`worker ${reason}; restarting in ${delay} ms`);
    setTimeout(() => {
      if (this.#stopping || this.#current) return; // stopped, or a reload already replaced it
      this.reload({ reason: "restart after a crash" }).catch((error: unknown) => this.#crashed(errorMessage(error)));
    }, delay); // not unref'd: with no worker left, this timer is what keeps the primary alive
  }

  /** Tells a worker to drain and exit; kills it if it has not exited after its drain timeout + 5 s. */
  #retire(worker: Worker, handover: boolean): Promise<void> {
    if (worker.isDead()) return Promise.resolve();
    this.#retiring.add(worker);
    return new Promise((resolve) => {
      const kill = setTimeout(() => worker.process.kill("SIGKILL"), (this.#options.config.drainTimeout ?? 30_000) + 5_000);
      worker.once("exit", () => {
        clearTimeout(kill);
        this.#retiring.delete(worker);
        resolve();
      });
      if (worker.isConnected()) worker.send({ cosmo: true, type: "drain", handover });
      else worker.process.kill("SIGTERM");
    });
  }
}
