/**
 * Fixture plugins that misbehave the ways a careless or hostile plugin does, for the
 * containment tests and `npm run reliability`. Each exposes `GET <prefix>/boom` that commits
 * its fault, and `GET <prefix>/ok` that answers while it still runs.
 */
import type { FixturePlugin } from "./bundles";

/** The fault modes containment must survive. */
export const FAULTS = {
  exit: "process.exit(1);",
  abort: "process.abort();",
  "kill-self": 'process.kill(process.pid, "SIGKILL");',
  "kill-parent": 'process.kill(process.ppid, "SIGKILL");',
  "timer-throw": 'setTimeout(() => { throw new Error("thrown from a timer"); }, 1);',
  "timer-exit": "setTimeout(() => process.exit(2), 1);",
  "unhandled-rejection": 'Promise.reject(new Error("nobody catches this"));',
  "block-loop": "for (;;) {}",
  // After the call returned: in a timer it started, and in the continuation of what it awaits
  // (its request still in flight). Only the async context says whose code that is.
  "block-in-timer": "setTimeout(() => { for (;;) {} }, 1);",
  "block-after-await": "return (async () => { await new Promise((r) => setTimeout(r, 1)); for (;;) {} })();",
  "oom": "const hog = []; for (;;) hog.push(new Array(1e6).fill(hog.length));",
  "oom-after-await": "return (async () => { await new Promise((r) => setTimeout(r, 1)); const hog = []; for (;;) hog.push(new Array(1e6).fill(hog.length)); })();",
} as const;

/** One fault mode's name. */
export type FaultMode = keyof typeof FAULTS;

/** A plugin whose `/boom` route commits `mode`. */
export function faultyPlugin(name: string, prefix: string, mode: FaultMode): FixturePlugin {
  return {
    name,
    prefix,
    source: `export const plugin = {\n  setup(ctx) {\n    ctx.route("GET", "/ok", () => ({ ok: ${JSON.stringify(name)} }));\n    ctx.route("GET", "/boom", () => { ${FAULTS[mode]} return { survived: true }; });\n  },\n};\n`,
  };
}

/** A plugin that commits `mode` `delay` ms after its setup resolved (0: during setup). */
export function faultyAtLoad(name: string, prefix: string, mode: FaultMode, delay = 0): FixturePlugin {
  const fault = delay > 0 ? `setTimeout(() => { ${FAULTS[mode]} }, ${delay});` : FAULTS[mode];
  return {
    name,
    prefix,
    source: `export const plugin = {\n  setup(ctx) {\n    ctx.route("GET", "/ok", () => ({ ok: ${JSON.stringify(name)} }));\n    ${fault}\n  },\n};\n`,
  };
}

/** A healthy plugin answering `GET <prefix>/ok`. */
export function healthyPlugin(name: string, prefix: string): FixturePlugin {
  return { name, prefix, source: `export const plugin = { setup(ctx) { ctx.route("GET", "/ok", () => ({ ok: ${JSON.stringify(name)} })); } };\n` };
}

/**
 * A plugin whose `GET <prefix>/wait` stays in flight until `GET <prefix>/release`, with
 * `GET <prefix>/waiting` counting those in flight: another plugin busy while one misbehaves.
 */
export function busyPlugin(name: string, prefix: string): FixturePlugin {
  return {
    name,
    prefix,
    source: `let waiting = [];
export const plugin = {
  setup(ctx) {
    ctx.route("GET", "/wait", () => new Promise((resolve) => waiting.push(resolve)).then(() => ({ released: true })));
    ctx.route("GET", "/waiting", () => ({ waiting: waiting.length }));
    ctx.route("GET", "/release", () => { const all = waiting; waiting = []; for (const r of all) r(); return { released: all.length }; });
  },
};
`,
  };
}
