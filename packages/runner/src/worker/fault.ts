/**
 * What a worker reports about a plugin's fault, over IPC (main thread) or the fault pipe (the
 * watchdog thread, which has no IPC channel). Shared by the worker and the supervisor.
 */

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

/** A line on the fault pipe, written by the watchdog thread. */
export type PipeLine =
  | { type: "state"; running?: FaultPlugin; inflight: FaultPlugin[] }
  | { type: "stall"; ms: number; running?: FaultPlugin; inflight: FaultPlugin[] };

/** The plugin a state names as the one at fault: the one running, else the only one in flight. */
export function suspectOf(state: { running?: FaultPlugin; inflight: FaultPlugin[] } | undefined): FaultPlugin | undefined {
  if (!state) return undefined;
  if (state.running) return state.running;
  return state.inflight.length === 1 ? state.inflight[0] : undefined;
}

/** The stdio index of the fault pipe in a forked worker (after stdin, stdout, stderr and IPC). */
export const FAULT_FD = 4;
