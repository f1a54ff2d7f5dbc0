/**
 * What the supervisor (cluster primary) and a server worker say to each other over IPC, and the
 * config a worker starts with. Every message carries `cosmo: true` so that messages of other
 * libraries on the same channel are never mistaken for ours.
 */
import { isCosmoError, type SerializedCosmoError } from "@cosmo/core";
import type { FaultReport } from "./fault";
import type { LogOptions } from "../logger";
import type { RunnerSourcePolicy } from "../operations/source-policy";

/**
 * Everything a server worker needs to start. The primary hands it over IPC (a ConfigMessage),
 * never in the environment: a plugin, or a child process it spawns, must not find the admin
 * token in `process.env` or `/proc/<pid>/environ`.
 */
export interface WorkerConfig {
  port: number;
  host: string;
  dataDir: string;
  /** The store URL (`--store`); undefined = files in the data dir. */
  store?: string;
  token: string;
  /** The bundle dir (a realpath) to load plugins from; null = no plugins (clean, or no bundle yet). */
  bundle: string | null;
  /** True when started with --clean (kept across reloads). */
  clean: boolean;
  allowedHosts?: string[];
  bodyLimit?: number;
  /** Upper bound on a drain, in ms, after which open connections are cut (default 30 000). */
  drainTimeout?: number;
  /** A blocked event loop for this many ms is a stall the watchdog reports (default 5 000; 0 = no watchdog). */
  stallTimeout?: number;
  /** The fd of the fault pipe the watchdog thread writes to (set by the supervisor). */
  faultFd?: number;
  /** The fd of the marker file naming the plugin that runs (set by the supervisor; see MARKER_FD). */
  markerFd?: number;
  /** Why this worker serves a fallback (the last bundle that served, or none) instead of the current bundle. */
  fallback?: string;
  /** How the worker logs (level, pretty or JSON, access log); the supervisor's own options. */
  log?: LogOptions;
  /** GET admin routes need the token too (see authGuard); `start` sets it beyond loopback. */
  guardReads?: boolean;
  /** Which kinds of plugin source install, apply and following accept (`--allow-git`, `--allow-remote`). */
  sourcePolicy?: RunnerSourcePolicy;
}


/** What the running plugins count, as /health and the ready message report it. */
export interface PluginCounts {
  total: number;
  active: number;
  failed: number;
  quarantined: number;
  disabled: number;
}

/** Sent by a worker once its plugins are loaded and it listens: it can take traffic. */
export interface ReadyMessage {
  cosmo: true;
  type: "ready";
  pid: number;
  url: string;
  bundle: string | null;
  bundleId: string | null;
  plugins: PluginCounts;
  /** Set when the worker serves a fallback, and why. */
  fallback?: string;
}

/**
 * A new worker asks for its config once it listens for messages: a message sent before its
 * modules finished loading would find no listener and be lost.
 */
export interface ConfigRequestMessage {
  cosmo: true;
  type: "config-request";
}

/** The primary's answer to ConfigRequestMessage: the worker's config. */
export interface ConfigMessage {
  cosmo: true;
  type: "config";
  config: WorkerConfig;
}

/**
 * The primary's answer to ConfigRequestMessage when the worker is a standby (started ahead so a
 * reload or a crash does not wait for a process start): load what an apply needs (npm's
 * installer) while idle; the config follows when the worker is put to use.
 */
export interface WarmMessage {
  cosmo: true;
  type: "warm";
  /**
   * The address the runner listens on, as configured (port 0 stays 0): hold its listening
   * socket without accepting (see held-socket.ts). Absent when the cluster does not share
   * sockets (round-robin scheduling, set by whoever set up the cluster first).
   */
  listen?: { host: string; port: number };
}

/** A standby answers WarmMessage: it waits for its config, holding the listening socket or not. */
export interface StandingByMessage {
  cosmo: true;
  type: "standing-by";
  holdsSocket: boolean;
}

/** A worker reports a fault (attributed to a plugin when it could be). */
export interface FaultMessage {
  cosmo: true;
  type: "fault";
  fault: FaultReport;
}

/** Sent by a worker whose startup failed, just before it exits. */
export interface StartFailedMessage {
  cosmo: true;
  type: "start-failed";
  error: SerializedError;
}

/** Options of a reload, as a worker (or the CLI) asks for it. */
export interface ReloadOptions {
  /**
   * The reload follows a sync that made the current bundle: if the new worker does not start,
   * `rollback()` the bundle link so it points at the bundle the running worker serves again.
   */
  rollbackOnFailure?: boolean;
  /** Why, for the log ("apply", "POST /plugins/reload", "SIGHUP"...). */
  reason?: string;
  /**
   * Nothing to do when the serving worker already serves the current bundle (an apply that a
   * worker retired meanwhile finished: a later reload may have loaded its result already).
   */
  unlessServed?: boolean;
}

/** What a successful reload reports. */
export interface ReloadResult {
  /** The bundle now served (realpath), or null for none. */
  bundle: string | null;
  bundleId: string | null;
  /** The new worker's pid. */
  pid: number;
  plugins: PluginCounts;
  /** From the reload request to the new worker taking traffic, in ms. */
  took_ms: number;
  /** Set when the new worker serves a fallback (last bundle that served, or none), and why. */
  fallback?: string;
}

/** A worker asks the primary to reload (answered by a ReloadResultMessage with the same id). */
export interface ReloadRequestMessage {
  cosmo: true;
  type: "reload";
  id: number;
  options: ReloadOptions;
}

/** The primary's answer to a ReloadRequestMessage. */
export type ReloadResultMessage = { cosmo: true; type: "reload-result"; id: number } & (
  | { ok: true; result: ReloadResult }
  | { ok: false; error: SerializedError }
);

/** The primary tells a worker to stop taking connections, finish what it has, and exit. */
export interface DrainMessage {
  cosmo: true;
  type: "drain";
  /** True when a new worker takes over (keep idle keep-alive connections until their timeout). */
  handover: boolean;
}

/**
 * A retired worker still has admin operations to answer (or reloads it asked for): the primary
 * puts off killing it (each message restarts its drainTimeout + 5 s bound, up to the
 * supervisor's maxHoldMs after the worker was retired).
 */
export interface HoldingMessage {
  cosmo: true;
  type: "holding";
}

/**
 * A drained worker is about to exit (its server is closed); it waits for the primary's
 * ExitOkMessage first. This matters only under round-robin scheduling, which the supervisor
 * does not use (it sets SCHED_NONE: each worker accepts on the shared socket itself, and
 * nothing is handed over IPC) but an embedder who set up the cluster first may impose: there
 * the primary hands a connection to a worker until it has processed that worker's close, and a
 * worker that exits with such a handoff still in its IPC queue never acks it, so the primary
 * holds the connection open forever (the client hangs). The channel is ordered both ways: once
 * the answer is here, every handoff sent before it has been read (and refused, which makes the
 * primary give it to another worker). Under SCHED_NONE it costs one round trip.
 */
export interface ExitingMessage {
  cosmo: true;
  type: "exiting";
}

/** The primary's answer to ExitingMessage: nothing more will be handed to this worker. */
export interface ExitOkMessage {
  cosmo: true;
  type: "exit-ok";
}

/** Any message of ours. */
export type CosmoMessage =
  | ConfigRequestMessage
  | ConfigMessage
  | WarmMessage
  | StandingByMessage
  | FaultMessage
  | ReadyMessage
  | StartFailedMessage
  | ReloadRequestMessage
  | ReloadResultMessage
  | DrainMessage
  | ExitingMessage
  | HoldingMessage
  | ExitOkMessage;

/** True for messages of ours, whatever else shares the IPC channel. */
export function isCosmoMessage(value: unknown): value is CosmoMessage {
  return typeof value === "object" && value !== null && (value as { cosmo?: unknown }).cosmo === true;
}

/** An error as it crosses the IPC channel (structured clone drops class and code). */
export type SerializedError = SerializedCosmoError;

/** Flattens an error for IPC, keeping a Cosmo error's code and details. */
export function serializeError(error: unknown): SerializedError {
  if (isCosmoError(error)) return { code: error.code, message: error.message, details: error.details };
  return { message: error instanceof Error ? error.message : String(error) };
}

