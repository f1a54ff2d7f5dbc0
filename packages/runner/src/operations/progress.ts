/**
 * Progress of the long steps (check, bundle, sync, reload) as data: each step reports when it
 * starts and when it is done, with its counts. The admin API streams these as server-sent events
 * (http/sse.ts) and the page shows them; whoever does not listen passes nothing.
 */

/** The long steps an operation goes through, in the order apply runs them. */
export type ProgressPhase = "check" | "bundle" | "sync" | "reload";

/** One step of a long operation starting or finishing. */
export interface ProgressEvent {
  phase: ProgressPhase;
  /** `progress`: the phase goes on, with news (the sync's fetches so far). */
  state: "start" | "progress" | "done";
  /** One sentence for a person ("Installing 96 packages (scripts off)"). */
  message: string;
  /** How long the phase took (on `done`). */
  took_ms?: number;
  /** Plugins the step is about (bundle: in the bundle; reload: served by the new worker). */
  plugins?: number;
  /** Packages in the bundle's lockfile (sync, on `done`). */
  packages?: number;
  /** Requests to the registry so far (sync, on `progress`). */
  fetched?: number;
}

/** Where an operation reports its progress. */
export type ProgressReporter = (event: ProgressEvent) => void;

/** A reporter that drops everything: what operations use when nobody listens. */
export const silentProgress: ProgressReporter = () => undefined;

/**
 * Runs one phase between a `start` and a `done` event; `done` takes the phase's message and
 * counts from what `work` returned. A phase that throws reports no `done`: the error says why.
 * @example const sync = await phase(report, "sync", "Installing the bundle", () => syncBundle(ctx), (s) => ({ message: `Bundle ${s.bundle} installed` }))
 */
export async function phase<T>(
  report: ProgressReporter,
  name: ProgressPhase,
  message: string,
  work: () => Promise<T>,
  done: (result: T) => Omit<ProgressEvent, "phase" | "state" | "took_ms">,
): Promise<T> {
  report({ phase: name, state: "start", message });
  const startedAt = performance.now();
  const result = await work();
  report({ phase: name, state: "done", ...done(result), took_ms: Math.round(performance.now() - startedAt) });
  return result;
}

/**
 * Reports, while `work` runs, how many requests npm's libraries have made to the registry: they
 * announce each one as `process.emit("log", "http", "fetch", ...)`. At most one event every
 * `everyMs`, and only when the count moved. Nothing is counted when nobody listens.
 */
export async function withFetchCount<T>(report: ProgressReporter, phaseName: ProgressPhase, work: () => Promise<T>, everyMs = 250): Promise<T> {
  if (report === silentProgress) return work();
  let fetched = 0;
  let sent = 0;
  const onLog = (level: unknown, kind: unknown) => {
    if (level === "http" && kind === "fetch") fetched++;
  };
  process.on("log" as never, onLog as never);
  const timer = setInterval(() => {
    if (fetched === sent) return;
    sent = fetched;
    report({ phase: phaseName, state: "progress", message: `${fetched} fetch${fetched === 1 ? "" : "es"} from the registry so far`, fetched });
  }, everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    process.off("log" as never, onLog as never);
  }
}
