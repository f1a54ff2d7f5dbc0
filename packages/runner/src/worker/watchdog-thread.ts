/**
 * The watchdog: a worker_threads thread beside a server worker's event loop. The main thread
 * bumps a heartbeat in shared memory every 100 ms and writes the index of the plugin whose code
 * runs into a slot (and per-plugin in-flight counts) around every plugin call. This thread reads
 * them with Atomics, so it sees what the main thread does even while that thread is stuck in a
 * `for (;;) {}`. It writes, on the fault pipe the supervisor reads:
 * - a `state` line whenever who runs or is in flight changes (so a worker killed outright, by
 *   OOM say, still has a last known suspect);
 * - a `stall` line once the heartbeat has not moved for `stallTimeout` ms.
 * It never kills the process itself: the supervisor starts a replacement first, then kills.
 */
import { writeSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import type { FaultPlugin, PipeLine } from "./fault";

interface WatchdogData {
  buffer: SharedArrayBuffer;
  fd: number;
  stallTimeout: number;
}

const { buffer, fd, stallTimeout } = workerData as WatchdogData;
const view = new Int32Array(buffer);
const plugins = new Map<number, FaultPlugin>();
parentPort?.on("message", (m: { index: number; plugin: FaultPlugin }) => plugins.set(m.index, m.plugin));

const write = (line: PipeLine) => {
  try {
    writeSync(fd, `${JSON.stringify(line)}\n`);
  } catch {
    // The supervisor is gone or the pipe is full: nothing better to do than carry on.
  }
};

let beat = Atomics.load(view, 0);
let changedAt = Date.now();
let stalled = false;
let lastState = "";
const tick = () => {
  const now = Date.now();
  const running = plugins.get(Atomics.load(view, 1));
  const inflight: FaultPlugin[] = [];
  for (const [index, plugin] of plugins) if (Atomics.load(view, 2 + index) > 0) inflight.push(plugin);
  const state = JSON.stringify([running?.name, inflight.map((p) => p.name)]);
  if (state !== lastState) {
    lastState = state;
    write({ type: "state", running, inflight });
  }
  const now_beat = Atomics.load(view, 0);
  if (now_beat !== beat) {
    beat = now_beat;
    changedAt = now;
    stalled = false;
  } else if (!stalled && now - changedAt >= stallTimeout) {
    stalled = true;
    write({ type: "stall", ms: now - changedAt, running, inflight });
  }
};
setInterval(tick, Math.max(20, Math.min(250, Math.floor(stallTimeout / 4))));

// Besides polling, wake whenever the main thread enters a plugin or starts a request in one
// (it notifies on the slot word): the state line is on the pipe before that code can kill the
// process.
// Node 20 has Atomics.waitAsync; the ES2022 lib this package compiles against does not type it.
type WaitAsync = (array: Int32Array, index: number, value: number) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
const watchSlot = (): void => {
  const waited = waitAsync(view, 1, Atomics.load(view, 1));
  if (waited.async) {
    void waited.value.then(() => {
      tick();
      watchSlot();
    });
  } else {
    tick();
    setImmediate(watchSlot);
  }
};
watchSlot();
