/**
 * The watchdog: a worker_threads thread beside a server worker's event loop. The main thread
 * bumps a heartbeat in shared memory every 100 ms and writes the index of the plugin whose code
 * runs into a slot (and per-plugin in-flight counts) around every plugin call and every async
 * callback (a continuation or timer of a plugin's code is its code too). This thread reads
 * them with Atomics, so it sees what the main thread does even while that thread is stuck in a
 * `for (;;) {}`. It writes, on the fault pipe the supervisor reads:
 * - a `state` line whenever who runs or is in flight changes, and after each marker write of
 *   the main thread (so the supervisor learns when that plugin left);
 * - a `stall` line once the heartbeat has not moved for `stallTimeout` ms.
 * It polls, every 10 ms while plugin code runs: the main thread itself writes, synchronously,
 * what cannot wait for a poll (the marker: the plugin about to run; see containment.ts), so a
 * fault that kills the process at once still finds its plugin named.
 * It never kills the process itself: the supervisor starts a replacement first, then kills.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SLOT, writeLine, type FaultPlugin, type PipeLine } from "./fault";

interface WatchdogData {
  buffer: SharedArrayBuffer;
  fd: number;
  stallTimeout: number;
}

const { buffer, fd, stallTimeout } = workerData as WatchdogData;
const view = new Int32Array(buffer);
const plugins = new Map<number, FaultPlugin>();
parentPort?.on("message", (m: { index: number; plugin: FaultPlugin }) => plugins.set(m.index, m.plugin));

const write = (line: PipeLine) => writeLine(fd, line);

let beat = Atomics.load(view, SLOT.heartbeat);
let changedAt = Date.now();
let stalled = false;
let lastState = "";
let lastVersion = 0;
/** One look at the shared memory; true while plugin code runs, ran since the last look, or has work in flight. */
const tick = (): boolean => {
  const now = Date.now();
  // In this order: the main thread writes the marker while `told` is clear, so once it is cleared
  // here, any plugin entered from now on is either in the sample below or in the marker with a
  // higher version than this line's. Set, it says plugin code ran since the last tick.
  const active = Atomics.exchange(view, SLOT.told, 0) !== 0;
  const v = Atomics.add(view, SLOT.version, 1) + 1;
  // The main thread took a version since this thread's last line (a marker write): the
  // supervisor's newest view is the marker, which this line must follow even if this thread's
  // sample is unchanged, or a plugin that has left would still be named at a death.
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
  return active || running !== undefined || inflight.length > 0;
};
// While plugin code runs, a tick every 10 ms: until a line follows the marker, a death is
// charged to the plugin the marker names even if that plugin's code has returned, and a heap
// fills fast (measured: 96 MB in ~130 ms). Idle, the slow pace only has stalls to notice
// (measured: the fast pace costs ~8 ms of CPU a second).
const FAST_MS = 10;
const IDLE_MS = Math.max(20, Math.min(250, Math.floor(stallTimeout / 4)));
const loop = () => setTimeout(() => loop(), tick() ? FAST_MS : IDLE_MS);
loop();
