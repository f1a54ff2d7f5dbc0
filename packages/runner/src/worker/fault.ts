/**
 * What a worker reports about a plugin's fault, over IPC (main thread) or the fault pipe (the
 * watchdog thread, which has no IPC channel). Shared by the worker and the supervisor.
 */
import { writeSync } from "node:fs";


/** The kinds of fault containment tells apart. */
export type FaultKind =
  | "exit"
  | "abort"
  | "kill"
  | "uncaught-exception"
  | "unhandled-rejection"
  | "blocked-event-loop"
  | "out-of-memory"
  | "worker-died";

/** How a fault kind reads in a sentence ("<plugin> called process.exit"). */
export const FAULT_WORDS: Record<FaultKind, string> = {
  exit: "called process.exit",
  abort: "called process.abort",
  kill: "tried to kill the host process",
  "uncaught-exception": "threw an uncaught exception",
  "unhandled-rejection": "left a promise rejection unhandled",
  "blocked-event-loop": "blocked the event loop",
  "out-of-memory": "ran the worker out of memory",
  "worker-died": "was loading or running when its worker died",
};

/** A plugin as the fault reports name it. */
export interface FaultPlugin {
  /** Plugin name (cosmo.json). */
  name: string;
  /** Package name in the bundle: what quarantine is keyed by. */
  package?: string;
}

/** One fault. `fatal`: the worker must be replaced (it may be blocked, or its state broken). */
export interface FaultReport {
  kind: FaultKind;
  plugin?: FaultPlugin;
  reason: string;
  fatal: boolean;
}

/** What the supervisor knows of a worker: who ran, who was in flight. */
export interface PipeState {
  running?: FaultPlugin;
  inflight: FaultPlugin[];
}

/**
 * A line on the fault pipe. `v` orders what the worker says of who runs: every such line and
 * every write of the marker (see MARKER_FD) takes it from one shared counter before it samples
 * or writes, so the newest is the one with the highest `v`.
 * - `plugin`: the main thread, as it first tells a plugin apart: the index the marker names it
 *   by (no `v`: it says nothing of who runs);
 * - `state`: the watchdog thread, whenever who runs or is in flight changed (and after a marker
 *   write, so the supervisor learns when that plugin left);
 * - `stall`: the watchdog thread, once the event loop has not turned for `ms`.
 */
export type PipeLine =
  | { type: "plugin"; index: number; plugin: FaultPlugin }
  | ({ type: "state"; v: number } & PipeState)
  | ({ type: "stall"; v: number; ms: number } & PipeState);

/** Writes one line on the fault pipe; a supervisor gone (or a full pipe) is nothing to act on. */
export function writeLine(fd: number, line: PipeLine): void {
  try {
    writeSync(fd, `${JSON.stringify(line)}\n`);
  } catch {
    // nobody to tell, or no room: carry on
  }
}

/** The words of the shared memory between a worker's main thread and its watchdog thread. */
export const SLOT = {
  /** Bumped by the main thread every 100 ms: the event loop turns. */
  heartbeat: 0,
  /** Index of the plugin whose synchronous code runs now (0: none or unknown). */
  running: 1,
  /** The counter every pipe line's `v` comes from. */
  version: 2,
  /** Index of the plugin the main thread last wrote to the marker, until the watchdog's next tick. */
  told: 3,
  /** From here: one in-flight count per plugin index. */
  counts: 4,
} as const;

/** The plugin a state names as the one at fault: the one running, else the only one in flight. */
export function suspectOf(state: PipeState | undefined): FaultPlugin | undefined {
  if (!state) return undefined;
  if (state.running) return state.running;
  return state.inflight.length === 1 ? state.inflight[0] : undefined;
}

/** The stdio index of the fault pipe in a forked worker (after stdin, stdout, stderr and IPC). */
export const FAULT_FD = 4;

/**
 * The stdio index of the marker: a file the supervisor opened (and unlinked) for this worker,
 * whose first 8 bytes the main thread overwrites, before any plugin code runs, with the index
 * of the plugin it runs and a `v` (two little-endian int32). A process that dies at once (an
 * OOM, a native crash) leaves in it the last plugin that ran; the supervisor reads it then.
 * A file, not pipe lines: nobody is woken per write, so it can be exact at every switch.
 */
export const MARKER_FD = 5;

/** The marker's size in bytes: the plugin index, then `v`. */
export const MARKER_BYTES = 8;
