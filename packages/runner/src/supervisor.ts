/**
 * The supervisor: the cluster primary that runs the server in a worker and swaps workers
 * without dropping requests. A reload forks a worker on the current bundle, waits for its
 * `ready` (plugins loaded, listening on the shared port), and only then drains the old worker;
 * if the new one exits or is not ready in time it is killed, the bundle link is rolled back when
 * asked, and the old worker never stopped serving.
 *
 * It also contains plugins' faults (Erlang/OTP's supervisor is the model): a fault a worker
 * attributes to a plugin (exit, uncaught exception, blocked loop, OOM), or a worker that dies
 * while one plugin loads K times, quarantines the plugin (stored), and the next worker starts
 * without it at once while the old one drains. A crash nobody can be named for is restarted
 * with backoff; past the crash-loop limit the runner falls back to the last bundle that served,
 * then to no plugins. The runner never exits because of a plugin.
 *
 * A standby worker is forked ahead once a worker serves: a process with the runner's modules
 * (and npm's installer) loaded that waits for its config. The next reload, or the restart after
 * a crash, hands it the bundle, so it costs the plugins' load rather than a process start.
 *
 * The cluster runs with SCHED_NONE, not Node's default round-robin: the primary binds the
 * listening socket and each worker accepts on it itself. Under round-robin the primary accepts
 * and hands each connection to a worker, and when the only serving worker died on its own (an
 * OOM, a SIGKILL) the primary closed the socket: connections were refused until the restarted
 * worker listened (measured: 19-185 refused requests over 0.1-0.9 s with 20 plugins), and a
 * connection handed to the worker just before it died was never answered nor closed. Under
 * SCHED_NONE the primary keeps the socket open while any worker is registered on it, and the
 * standby registers without accepting (worker/held-socket.ts): when the serving worker dies,
 * new connections wait in the kernel's backlog until the standby, promoted, accepts them. Only
 * the requests in flight on the dead worker are lost. Without a standby (`standby: false`, or
 * one not forked yet or dead) the socket closes with the last worker, as before.
 */
import cluster, { type Worker } from "node:cluster";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { rollback } from "@cosmo/bundler";
import { createError, errorMessage, isCosmoError, type CosmoError } from "@cosmo/core";
import { consola } from "consola";
import { quarantine } from "./containment/state";
import { FAULT_FD, FAULT_WORDS, MARKER_FD, suspectOf, type FaultPlugin, type FaultReport, type PipeLine, type PipeState } from "./worker/fault";
import { openMarker, takeMarker, type Marked } from "./worker/marker";
import {
  isCosmoMessage,
  serializeError,
  type ReadyMessage,
  type ReloadOptions,
  type ReloadResult,
  type SerializedError,
  type WorkerConfig,
} from "./worker/messages";
import { bundleToLoad } from "./bundle-to-load";

/** Options of a Supervisor. */
export interface SupervisorOptions {
  /** The workers' config; the bundle is resolved afresh for every worker. */
  config: Omit<WorkerConfig, "bundle">;
  /** The worker entry file (default: worker.js beside this module in dist). */
  exec?: string;
  /** How long a new worker may take to say ready, in ms (default 60 000). */
  readyTimeout?: number;
  /**
   * Crash loop: this many unexpected exits (default 5) within `crashWindow` ms (default 60 000)
   * that no plugin can be named for make the supervisor fall back to the last bundle that
   * served, then to no plugins.
   */
  maxCrashes?: number;
  crashWindow?: number;
  /** Worker deaths while a plugin loads or runs before it is quarantined (default 2). */
  maxPluginDeaths?: number;
  /** Heap limit of each worker in MB (--max-old-space-size); default: Node's own. */
  maxHeapMb?: number;
  /** Called each time a worker takes traffic (start, reload, restart). */
  onServing?: (ready: ReadyMessage) => void;
  /** Called when even a worker with no plugins cannot run (not a plugin's doing); the runner should exit non-zero. */
  onFatal?: (error: CosmoError) => void;
  /** Called when a plugin is quarantined. */
  onQuarantine?: (plugin: FaultPlugin, fault: FaultReport) => void;
  /**
   * The longest a retired worker may go on answering admin operations it accepted, in ms
   * (default 600 000): past it the worker is killed, its operations unanswered, so one that
   * hangs cannot keep a process alive for good. What they wrote survives a kill (see the
   * reliability suite's kill -9 rows).
   */
  maxHoldMs?: number;
  /**
   * Keep a standby worker forked ahead for the next reload or restart (default true). It also
   * holds the listening socket, so that connections wait rather than being refused while a
   * worker that died is replaced (see the module comment).
   */
  standby?: boolean;
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
  /** A plugin was set aside meanwhile: trying again loads without it. */
  setAside?: boolean;
}

/** What the supervisor knows about each live worker. */
interface WorkerState {
  /** The newest state its fault pipe told: who ran, who was in flight. */
  last?: PipeState;
  /** The version (`v`) of the line `last` comes from: an older line arriving later is stale. */
  version?: number;
  /** Plugins by the index the marker names them with (`plugin` lines). */
  plugins: Map<number, FaultPlugin>;
  /** Its marker's fd (see MARKER_FD), until it is read at the worker's exit. */
  marker?: number;
  /** What its marker said when it exited. */
  marked?: Marked;
  /** A fault is being handled: its exit is expected and not counted again. */
  replacing?: boolean;
  /** Its event loop is blocked: retire it with SIGKILL, it cannot drain. */
  stalled?: boolean;
  /** Where its stall lines go: the start attempt's handler, then the serving watch's. */
  onStall?: (line: Extract<PipeLine, { type: "stall" }>) => void;
  /**
   * Resolves once every line the watchdog wrote has been read: the pipe's end. A process that
   * dies (an OOM, say) right after a state line can have its exit event handled before that
   * line is read; attributing before then would blame nobody.
   */
  closed?: Promise<void>;
  /** It asked for its config already (a standby does so long before it is put to use). */
  configRequested?: boolean;
  /** Retiring: restarts the bound after which it is killed (it said it still holds work). */
  holdOn?: () => void;
}

/**
 * Waits for a dead worker's fault pipe to reach its end, at most PIPE_DRAIN_MS from now. The
 * bound starts at the death, not at the fork: a worker that served (or stood by) for a while
 * before dying must still have its last lines read.
 */
function drained(state: WorkerState): Promise<void> {
  if (!state.closed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, PIPE_DRAIN_MS);
    void state.closed!.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** At most this long for a dead worker's fault pipe to reach its end (it normally takes < 1 ms). */
const PIPE_DRAIN_MS = 2_000;

const MAX_START_ATTEMPTS = 20;

/**
 * A worker's stdio: the supervisor's own output, IPC, the fault pipe (fd 4: the watchdog thread
 * writes there, it has no IPC channel), and the worker's marker (fd 5; see #fork).
 */
function workerStdio(marker?: number): (string | number)[] {
  return ["inherit", "inherit", "inherit", "ipc", "pipe", marker ?? "ignore"];
}

/** A reload as the supervisor itself asks for one (a restart after a crash). */
type InternalReload = ReloadOptions & {
  /** Serve this bundle (null: no plugins) instead of the current one, and why. */
  fallback?: { bundle: string | null; reason: string };
  /**
   * Only if no worker serves when its turn comes: a worker that reported a fault and then died
   * is replaced by the reload its fault queued, and the restart its death queues is then moot.
   */
  unlessServing?: boolean;
};

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
  readonly #workers = new WeakMap<Worker, WorkerState>();
  /** Deaths attributed to each package, towards maxPluginDeaths. */
  readonly #deaths = new Map<string, number>();
  /** The last bundle a worker served from (null: none); the first fallback. */
  #lastServed: string | null | undefined;
  /** A worker forked ahead, waiting for its config (see the module comment). */
  #standby: Worker | undefined;
  /** Workers accept on a socket the primary shares (SCHED_NONE): a standby can hold it. */
  readonly #sharedSocket: boolean;

  constructor(options: SupervisorOptions) {
    if (!cluster.isPrimary) throw new Error("Supervisor runs in the cluster primary only");
    this.#options = options;
    this.#log = options.logger ?? consola.withTag("cosmo-runner");
    // The policy freezes at the cluster's first setupPrimary: set it only if that is ours (an
    // embedder may have set up the cluster first), and hold sockets only if it is in effect.
    if (cluster.settings.exec === undefined) cluster.schedulingPolicy = cluster.SCHED_NONE;
    this.#sharedSocket = cluster.schedulingPolicy === cluster.SCHED_NONE;
    cluster.setupPrimary({
      exec: options.exec ?? fileURLToPath(new URL("./worker.js", import.meta.url)),
      args: [],
      execArgv: [...process.execArgv, ...(options.maxHeapMb ? [`--max-old-space-size=${options.maxHeapMb}`] : [])],
      stdio: workerStdio(),
    });
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
    return this.#enqueue(options);
  }

  #enqueue(options: InternalReload): Promise<ReloadResult> {
    const run = this.#queue.then(() => this.#reload(options));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Drains every worker (in-flight requests finish, plugins are torn down) and waits for their exit. */
  async stop(): Promise<void> {
    this.#stopping = true;
    // Nothing runs in a standby (no plugins, no connections): nothing to drain.
    const standby = this.#standby;
    this.#standby = undefined;
    if (standby && !standby.isDead()) {
      const exited = new Promise((resolve) => standby.once("exit", resolve));
      standby.process.kill("SIGKILL");
      await exited;
    }
    await this.#queue;
    const all = [...this.#retiring, ...(this.#current ? [this.#current] : [])];
    this.#current = undefined;
    await Promise.all(all.map((w) => this.#retire(w, false)));
  }

  async #reload(options: InternalReload): Promise<ReloadResult> {
    if (this.#stopping) throw createError("COSMO_E_RELOAD_UNAVAILABLE", { reason: "the runner is shutting down" });
    const started = Date.now();
    const serving = this.#serving;
    if (options.unlessServing && this.#current && serving) {
      return { bundle: serving.bundle, bundleId: serving.bundleId, pid: serving.pid, plugins: serving.plugins, took_ms: 0, ...(serving.fallback ? { fallback: serving.fallback } : {}) };
    }
    const { dataDir, clean } = this.#options.config;
    const bundle = options.fallback ? options.fallback.bundle : await bundleToLoad(dataDir, clean);
    if (options.unlessServed && !options.fallback && this.#current && serving && !serving.fallback && serving.bundle === bundle) {
      this.#log.info(`worker ${serving.pid} already serves bundle ${serving.bundleId ?? "none"}: no reload (${options.reason ?? "reload"})`);
      return { bundle: serving.bundle, bundleId: serving.bundleId, pid: serving.pid, plugins: serving.plugins, took_ms: 0 };
    }
    let spawned: { worker: Worker; ready: ReadyMessage } | undefined;
    let failure: StartFailure | undefined;
    // Each attempt that set a plugin aside (quarantine) tries again without it.
    for (let attempt = 0; attempt < MAX_START_ATTEMPTS && !spawned; attempt++) {
      try {
        spawned = await this.#spawn(bundle, options.fallback?.reason);
        failure = undefined;
      } catch (caught) {
        failure = caught as StartFailure;
        if (!failure.setAside || this.#stopping) break;
      }
    }
    if (!spawned) {
      const { reason, error } = failure ?? { reason: "no worker started" };
      let rolledBack = false;
      // Roll back only the bundle that failed: if another sync moved the link meanwhile (a newer
      // generation), leave it. Checked under the bundle lock (ifCurrent), or that sync could land
      // between the check and the rollback, which would then make the failed bundle current.
      if (options.rollbackOnFailure && bundle !== null) {
        await rollback({ dataDir, ifCurrent: bundle }).then(
          (back) => (rolledBack = back !== undefined),
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
    const { worker, ready } = spawned;
    const old = this.#current;
    this.#current = worker;
    this.#serving = ready;
    this.#lastServed = ready.bundle;
    this.#watch(worker);
    if (old) void this.#retire(old, true);
    this.#log.info(`worker ${ready.pid} serves ${ready.url} (bundle ${ready.bundleId ?? "none"}, ${options.reason ?? "reload"})`);
    this.#options.onServing?.(ready);
    this.#prepareStandby();
    return {
      bundle: ready.bundle,
      bundleId: ready.bundleId,
      pid: ready.pid,
      plugins: ready.plugins,
      took_ms: Date.now() - started,
      ...(ready.fallback ? { fallback: ready.fallback } : {}),
    };
  }

  /** Quarantines a plugin for a fault (stored: survives restarts). Resolves once written. */
  async #quarantine(plugin: FaultPlugin, fault: FaultReport): Promise<void> {
    const pkg = plugin.package ?? plugin.name;
    this.#deaths.delete(pkg);
    this.#log.error(`plugin ${plugin.name} (${pkg}) ${FAULT_WORDS[fault.kind]} (${fault.reason}): quarantined, the next worker starts without it`);
    await quarantine(this.#options.config.dataDir, {
      package: pkg,
      plugin: plugin.name,
      reason: `${FAULT_WORDS[fault.kind]}: ${fault.reason}`,
      code: fault.kind,
    }).catch((error: unknown) => this.#log.error(`could not store the quarantine of ${pkg}: ${errorMessage(error)}`));
    this.#options.onQuarantine?.(plugin, fault);
  }

  /**
   * A worker died on its own while `suspect` was loading or running: one more death against
   * it, and quarantine once it reaches the limit (at once for an OOM, which is never a fluke).
   * True when it was quarantined.
   */
  async #countDeath(suspect: FaultPlugin | undefined, kind: "out-of-memory" | "worker-died", reason: string): Promise<boolean> {
    if (!suspect) return false;
    const pkg = suspect.package ?? suspect.name;
    const deaths = (this.#deaths.get(pkg) ?? 0) + 1;
    this.#deaths.set(pkg, deaths);
    if (kind !== "out-of-memory" && deaths < (this.#options.maxPluginDeaths ?? 2)) {
      this.#log.warn(`worker ${reason} while plugin ${suspect.name} ran (${deaths} time(s))`);
      return false;
    }
    await this.#quarantine(suspect, { kind, plugin: suspect, reason: `${reason} (${deaths} time(s))`, fatal: true });
    return true;
  }

  /**
   * Reads the fault pipe of a worker (once per worker: a second reader on the same pipe could
   * start mid-line) and hands its stall lines to `onStall` until the next call replaces it.
   */
  #readPipe(worker: Worker, onStall: (line: Extract<PipeLine, { type: "stall" }>) => void): void {
    const state = this.#stateOf(worker);
    state.onStall = onStall;
    const pipe = worker.process.stdio?.[FAULT_FD] as Readable | null | undefined;
    if (!pipe || state.closed) return;
    state.closed = new Promise<void>((resolve) => pipe.once("close", () => resolve()));
    createInterface({ input: pipe }).on("line", (text) => {
      let line: PipeLine;
      try {
        line = JSON.parse(text) as PipeLine;
      } catch {
        return; // not a line of ours (a plugin writing to fd 4?): ignored rather than trusted
      }
      if (line.type === "plugin") {
        if (typeof line.index === "number") state.plugins.set(line.index, line.plugin);
        return;
      }
      if (typeof line.v === "number" && line.v >= (state.version ?? 0)) {
        state.version = line.v;
        if (line.type === "state" || line.type === "stall") state.last = { running: line.running, inflight: line.inflight ?? [] };
      }
      if (line.type === "stall") state.onStall?.(line);
    });
  }

  #stateOf(worker: Worker): WorkerState {
    let state = this.#workers.get(worker);
    if (!state) this.#workers.set(worker, (state = { plugins: new Map() }));
    return state;
  }

  /**
   * The plugin a worker that died on its own is charged with: the one its marker names, if the
   * marker was written after the newest line the watchdog wrote (that plugin's code was the last
   * to run); else what the watchdog saw last. Call once its pipe is drained.
   */
  #suspectAtDeath(state: WorkerState): FaultPlugin | undefined {
    const marked = state.marked;
    if (marked && marked.index !== 0 && marked.v > (state.version ?? 0)) {
      const plugin = state.plugins.get(marked.index);
      if (plugin) return plugin;
    }
    return suspectOf(state.last);
  }

  /**
   * Forks a worker and waits for its ready message; rejects with a StartFailure and kills it
   * otherwise. A fault attributed to a plugin while it starts quarantines the plugin and fails
   * the attempt with `setAside`, so the caller tries again without it.
   */
  #spawn(bundle: string | null, fallback?: string): Promise<{ worker: Worker; ready: ReadyMessage }> {
    const worker = this.#takeStandby() ?? this.#fork();
    const state = this.#stateOf(worker);
    const config: WorkerConfig = {
      ...this.#options.config,
      bundle,
      faultFd: FAULT_FD,
      ...(state.marker !== undefined ? { markerFd: MARKER_FD } : {}),
      ...(fallback ? { fallback } : {}),
    };
    const timeout = this.#options.readyTimeout ?? 60_000;
    return new Promise((resolve, reject) => {
      let reported: SerializedError | undefined;
      let settled = false;
      const fail = (failure: StartFailure) => {
        if (settled) return;
        settled = true;
        cleanup();
        state.replacing = true;
        if (!worker.isDead()) worker.process.kill("SIGKILL");
        reject(failure);
      };
      // Set at once when a fatal fault comes in: a `ready` behind it on the channel is void.
      let faulted = false;
      const onFault = async (fault: FaultReport) => {
        if (!fault.fatal || settled || faulted) return;
        faulted = true;
        if (fault.plugin) {
          await this.#quarantine(fault.plugin, fault);
          fail({ reason: `plugin ${fault.plugin.name} ${FAULT_WORDS[fault.kind]} while the worker started`, setAside: true });
        } else fail({ reason: `${FAULT_WORDS[fault.kind]} while the worker started: ${fault.reason}` });
      };
      this.#readPipe(worker, (line) => {
        void onFault({ kind: "blocked-event-loop", plugin: suspectOf(line), reason: `no event loop turn for ${line.ms} ms`, fatal: true });
      });
      const timer = setTimeout(() => {
        const suspect = suspectOf(state.last);
        if (suspect) void onFault({ kind: "blocked-event-loop", plugin: suspect, reason: `not ready within ${timeout} ms`, fatal: true });
        else fail({ reason: `not ready within ${timeout} ms` });
      }, timeout);
      const onMessage = (message: unknown) => {
        if (!isCosmoMessage(message)) return;
        if (message.type === "config-request") worker.send({ cosmo: true, type: "config", config });
        if (message.type === "start-failed") reported = message.error;
        if (message.type === "fault") void onFault(message.fault);
        if (message.type === "ready" && !settled && !faulted) {
          settled = true;
          cleanup();
          resolve({ worker, ready: message });
        }
      };
      const onExit = (code: number | null, signal: string | null) => {
        if (settled) return;
        settled = true;
        const exit = signal ? `killed by ${signal}` : `exited with code ${code}`;
        // Read the watchdog's last lines before cleaning up: they may name the plugin.
        void drained(state).then(() => {
          cleanup();
          startDied(code, signal, exit);
        });
      };
      const startDied = (code: number | null, signal: string | null, exit: string) => {
        const suspect = reported ? undefined : this.#suspectAtDeath(state);
        if (suspect) {
          // Died with no word while a plugin loaded: one more death against it (quarantined
          // at the limit), and another attempt tells more.
          const oom = signal === "SIGABRT" || code === 134;
          void this.#countDeath(suspect, oom ? "out-of-memory" : "worker-died", `the worker ${exit} while starting`).then(() =>
            reject({ reason: `the worker ${exit} while ${suspect.name} loaded`, setAside: true } satisfies StartFailure),
          );
          return;
        }
        reject({ reason: reported ? `${reported.code ?? "error"}: ${reported.message}` : `the worker ${exit} while starting`, error: reported } satisfies StartFailure);
      };
      const cleanup = () => {
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("exit", onExit);
        state.onStall = undefined;
      };
      worker.on("message", onMessage);
      worker.on("exit", onExit);
      // A standby asked long ago: its config goes now.
      if (state.configRequested) worker.send({ cosmo: true, type: "config", config });
    });
  }

  /** Forks a worker process; it asks for its config once its modules are loaded. */
  #fork(): Worker {
    // Each worker its own marker, as the stdio entry after the fault pipe (fd 5).
    const marker = openMarker();
    cluster.setupPrimary({ stdio: workerStdio(marker) });
    // COSMO_ADMIN_TOKEN must not reach plugins: an undefined value drops it from the environment.
    const worker = cluster.fork({ COSMO_ADMIN_TOKEN: undefined });
    const state = this.#stateOf(worker);
    state.marker = marker;
    // First of its exit listeners: the marker is read (and closed) before anyone asks who died.
    worker.once("exit", () => {
      if (state.marker === undefined) return;
      state.marked = takeMarker(state.marker);
      state.marker = undefined;
    });
    // A send to a worker that just died fails with EPIPE on the worker object: without a listener
    // that error would end the supervisor, the one process that must outlive every worker.
    worker.on("error", (error) => this.#log.warn(`worker ${worker.process.pid}: ${errorMessage(error)}`));
    worker.process.stdio?.[FAULT_FD]?.on("error", () => {});
    const onConfigRequest = (message: unknown) => {
      if (!isCosmoMessage(message) || message.type !== "config-request") return;
      state.configRequested = true;
      worker.off("message", onConfigRequest);
      if (worker !== this.#standby) return;
      const { host, port } = this.#options.config;
      worker.send({ cosmo: true, type: "warm", ...(this.#sharedSocket ? { listen: { host, port } } : {}) });
    };
    worker.on("message", onConfigRequest);
    return worker;
  }

  /**
   * Forks the standby once a worker serves (the machine is idle again). Only then: a start that
   * failed forks its next attempt afresh, so a broken install never leaves spare processes.
   */
  #prepareStandby(): void {
    if (this.#stopping || this.#standby || this.#options.standby === false) return;
    const worker = this.#fork();
    this.#standby = worker;
    const onStandingBy = (message: unknown) => {
      if (!isCosmoMessage(message) || message.type !== "standing-by") return;
      worker.off("message", onStandingBy);
      this.#log.info(`standby worker ${worker.process.pid} ready${message.holdsSocket ? ", holding the listening socket" : ""}`);
    };
    worker.on("message", onStandingBy);
    worker.once("exit", () => {
      worker.off("message", onStandingBy);
      if (this.#standby === worker) this.#standby = undefined;
    });
  }

  /** The standby, if one is alive, taken for a start (and no longer the standby). */
  #takeStandby(): Worker | undefined {
    const worker = this.#standby;
    this.#standby = undefined;
    return worker && !worker.isDead() && worker.isConnected() ? worker : undefined;
  }

  /** Serves a worker's reload requests, handles its faults, and notices when it dies unexpectedly. */
  #watch(worker: Worker): void {
    const state = this.#stateOf(worker);
    const onFault = (fault: FaultReport) => {
      if (state.replacing || this.#stopping) return;
      state.replacing = true;
      if (fault.kind === "blocked-event-loop") state.stalled = true;
      void (async () => {
        if (fault.plugin) await this.#quarantine(fault.plugin, fault);
        else this.#log.error(`worker ${worker.process.pid} ${FAULT_WORDS[fault.kind]} (${fault.reason}); no plugin could be named: replacing the worker`);
        const reason = fault.plugin ? `plugin ${fault.plugin.name} quarantined` : `worker fault: ${fault.kind}`;
        const replaced = await this.reload({ reason }).then(
          () => true,
          (error: unknown) => {
            this.#log.error(`could not replace the faulty worker: ${errorMessage(error)}`);
            return false;
          },
        );
        // A blocked worker cannot drain; one that could not be replaced is killed and restarted.
        if ((state.stalled || !replaced) && !worker.isDead()) worker.process.kill("SIGKILL");
      })();
    };
    this.#readPipe(worker, (line) => {
      onFault({ kind: "blocked-event-loop", plugin: suspectOf(line), reason: `no event loop turn for ${line.ms} ms`, fatal: true });
    });
    worker.on("message", (message: unknown) => {
      if (!isCosmoMessage(message)) return;
      if (message.type === "fault") {
        if (message.fault.fatal) onFault(message.fault);
        return;
      }
      // See ExitingMessage: answering proves every connection handoff before it was read (only
      // under round-robin; harmless otherwise).
      if (message.type === "holding") {
        state.holdOn?.();
        return;
      }
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
      const exit = signal ? `killed by ${signal}` : `exited with code ${code}`;
      if (state.replacing) return this.#crashed(exit, true);
      const oom = signal === "SIGABRT" || code === 134;
      void drained(state)
        .then(() => this.#countDeath(this.#suspectAtDeath(state), oom ? "out-of-memory" : "worker-died", `the worker ${exit}`))
        .then((quarantined) => this.#crashed(exit, quarantined));
    });
  }

  /**
   * Restarts after an unexpected exit, with exponential backoff. A crash that quarantined a
   * plugin restarts at once and does not count; past the crash-loop limit the next worker
   * serves the last bundle that served (once), then no plugins: never nothing.
   */
  #crashed(reason: string, quarantined: boolean): void {
    const now = Date.now();
    const window = this.#options.crashWindow ?? 60_000;
    const max = this.#options.maxCrashes ?? 5;
    if (!quarantined) this.#crashes = [...this.#crashes.filter((t) => now - t < window), now];
    let fallback: { bundle: string | null; reason: string } | undefined;
    if (this.#crashes.length >= max) {
      const loop = createError("COSMO_E_WORKER_CRASH_LOOP", { crashes: this.#crashes.length, windowSeconds: window / 1000, reason });
      const previous = this.#lastServed;
      const usePrevious = this.#crashes.length === max && previous !== undefined && previous !== null;
      fallback = {
        bundle: usePrevious ? previous : null,
        reason: `${loop.message} Serving ${usePrevious ? `the last bundle that served (${previous})` : "no plugins"} until the next apply or reload.`,
      };
      this.#log.error(fallback.reason);
    }
    // The first crash in the window restarts at once (on the standby: no gap worth a wait);
    // backoff from the second on.
    const delay = quarantined || this.#crashes.length <= 1 ? 0 : Math.min(250 * 2 ** Math.min(this.#crashes.length - 2, 6), 10_000);
    this.#log.warn(`worker ${reason}; restarting in ${delay} ms`);
    setTimeout(() => {
      if (this.#stopping || this.#current) return; // stopped, or a reload already replaced it
      this.#enqueue({ reason: "restart after a crash", fallback, unlessServing: true }).catch((error: unknown) => {
        // Even a worker with no plugins cannot start: not a plugin's doing (a port, a disk).
        if (fallback?.bundle === null) {
          this.#log.error(errorMessage(error));
          this.#options.onFatal?.(isCosmoError(error) ? error : createError("COSMO_E_WORKER_CRASH_LOOP", { crashes: this.#crashes.length, windowSeconds: window / 1000, reason: errorMessage(error) }));
          return;
        }
        this.#crashed(errorMessage(error), false);
      });
    }, delay); // not unref'd: with no worker left, this timer is what keeps the primary alive
  }

  /** Tells a worker to drain and exit; kills it if it has not exited after its drain timeout + 5 s. */
  #retire(worker: Worker, handover: boolean): Promise<void> {
    if (worker.isDead()) return Promise.resolve();
    this.#retiring.add(worker);
    // A blocked event loop reads no drain message: it is killed once its successor serves.
    if (this.#workers.get(worker)?.stalled) worker.process.kill("SIGKILL");
    const state = this.#stateOf(worker);
    return new Promise((resolve) => {
      const bound = (this.#options.config.drainTimeout ?? 30_000) + 5_000;
      const pid = worker.process.pid;
      let kill = setTimeout(() => worker.process.kill("SIGKILL"), bound);
      // A worker answering admin operations it accepted says so (HoldingMessage): let it finish,
      // up to maxHoldMs from now.
      const maxHold = this.#options.maxHoldMs ?? 600_000;
      const holdUntil = Date.now() + maxHold;
      state.holdOn = () => {
        clearTimeout(kill);
        const left = holdUntil - Date.now();
        kill =
          left > bound
            ? setTimeout(() => worker.process.kill("SIGKILL"), bound)
            : setTimeout(() => {
                this.#log.warn(`retired worker ${pid} still held admin operations ${maxHold} ms after it was retired: killed`);
                worker.process.kill("SIGKILL");
              }, Math.max(0, left));
      };
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
