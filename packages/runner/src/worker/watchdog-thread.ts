/**
 * The watchdog: a worker_threads thread beside a server worker's event loop. The main thread
 * bumps a heartbeat in shared memory every 100 ms and writes the index of the plugin whose code
 * runs into a slot (and per-plugin in-flight counts) around every plugin call. This thread reads
 * them with Atomics, so it sees what the main thread does even while that thread is stuck in a
 * `for (;;) {}`. It writes, on the fault pipe the supervisor reads:
 * - a `state` line whenever who runs or is in flight changes, and after each `enter` line the
 *   main thread wrote (so the supervisor learns when that plugin left);
 * - a `stall` line once the heartbeat has not moved for `stallTimeout` ms.
 * It polls: the main thread itself writes, synchronously, the one line that cannot wait for a
 * poll (a plugin entered: see containment.ts), so no fault outruns this thread's scheduling.
 * It never kills the process itself: the supervisor starts a replacement first, then kills.
 */
import { writeSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { SLOT, type FaultPlugin, type PipeLine } from "./fault";

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

let beat = Atomics.load(view, SLOT.heartbeat);
let changedAt = Date.now();
let stalled = false;
let lastState = "";
let lastVersion = 0;
const tick = () => {
  const now = Date.now();
  // In this order: the main thread writes an `enter` line only while `told` is not its plugin,
  // so once it is cleared here, any plugin entered from now on is either in the sample below or
  // on the pipe with a higher version than this line's.
  Atomics.store(view, SLOT.told, 0);
  const v = Atomics.add(view, SLOT.version, 1) + 1;
  // Another writer took a version since this thread's last line: the supervisor's newest view
  // is that `enter` line, which this line must follow even if this thread's sample is unchanged.
  const overtaken = v !== lastVersion + 1;
  lastVersion = v;
  const running = plugins.get(Atomics.load(view, SLOT.running));
  const inflight: FaultPlugin[] = [];
  for (const [index, plugin] of plugins) if (Atomics.load(view, SLOT.counts + index) > 0) inflight.push(plugin);
  const state = JSON.stringify([running?.name, inflight.map((p) => p.name)]);
  if (state !== lastState || overtaken) {
    lastState = state;
    write({ type: "state", v, running, inflight });
  }
  const nowBeat = Atomics.load(view, SLOT.heartbeat);
  if (nowBeat !== beat) {
    beat = nowBeat;
    changedAt = now;
    stalled = false;
  } else if (!stalled && now - changedAt >= stallTimeout) {
    stalled = true;
    write({ type: "stall", v, ms: now - changedAt, running, inflight });
  }
};
setInterval(tick, Math.max(20, Math.min(250, Math.floor(stallTimeout / 4))));
