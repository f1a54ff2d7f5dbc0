/**
 * The reliability suite: containment measured against real runners, printed as one table.
 * `npm test` runs a short form of every row; `npm run reliability` (COSMO_RELIABILITY=1) the
 * long one. Every request is unauthenticated unless the row is about the token.
 */
import { spawn } from "node:child_process";
import { cp, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, inject, it } from "vitest";
import { isCosmoError, validateManifest } from "@cosmo/core";
import { registryEnv, canStartRedis, hasRedis, startRedis } from "@cosmo/test-kit";
import { endpoints } from "../src/api/endpoints";
import { currentLink, makeBundle, useBundle, versionPlugin, type FixturePlugin } from "./helpers/bundles";
import { FAULTS, faultyPlugin, healthyPlugin, type FaultMode } from "./helpers/faulty-plugins";
import { readDataDirState } from "./helpers/data-dir-state";
import { cli, freshRequest } from "./helpers/e2e";
import { LIFECYCLE_EVENTS, publishPlugins } from "./helpers/registry-plugins";
import { rawRequest } from "./helpers/raw-http";
import { requestLineArbitrary } from "./helpers/request-fuzz";
import { adminCall, BIN, freePort, startRunner, stopRunner, type CliProcess } from "@cosmo/test-kit";

/** Files named `cosmo-canary-*` anywhere under `dir` (what a lifecycle script that ran leaves). */
async function canariesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.name.startsWith("cosmo-canary-")).map((e) => join(e.parentPath, e.name));
}

const FULL = process.env.COSMO_RELIABILITY === "1";
const N = {
  healthy: FULL ? 20 : 3,
  rawRequests: FULL ? 10_000 : 100,
  bodies: FULL ? 10_000 : 100,
  sources: FULL ? 10_000 : 100,
  manifests: FULL ? 10_000 : 300,
  kills: FULL ? 200 : 3,
  setKills: FULL ? 200 : 3,
  installRequests: FULL ? 1000 : 40,
};
const TOKEN = "reliability-token-0123456789";

interface Row {
  check: string;
  trials: number;
  result: string;
  ok: boolean;
}
const rows: Row[] = [];
let runnerExits = 0;

const until = async <T>(check: () => Promise<T | undefined>, ms = 30_000): Promise<T | undefined> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
};

async function withRunner<T>(plugins: FixturePlugin[], args: string[], work: (r: CliProcess & { url: string; port: number; dataDir: string }) => Promise<T>) {
  const dataDir = await mkdtemp(join(tmpdir(), "cosmo-reliability-"));
  await useBundle(dataDir, await makeBundle(dataDir, "v1", plugins));
  const port = await freePort();
  const runner = await startRunner(["--port", String(port), "--data-dir", dataDir, ...args], { COSMO_ADMIN_TOKEN: TOKEN });
  let stopping = false;
  void runner.exited.then(() => {
    if (!stopping) runnerExits++;
  });
  try {
    return await work({ ...runner, port, dataDir });
  } finally {
    stopping = true;
    await stopRunner(runner);
    await rm(dataDir, { recursive: true, force: true });
  }
}

const admin = (url: string, method: string, path: string, body?: unknown) => adminCall(url, TOKEN, method, path, body, 300_000);

/** One sync as an event stream showed it: when its `start` and `done` progress events arrived. */
interface SyncSeen {
  start: number;
  done?: number;
}

/**
 * Calls a long admin operation as an event stream (`Accept: text/event-stream`), noting when each
 * sync phase started and ended as the events arrive; resolves with those and the `result` event.
 */
async function streamed(url: string, path: string, body: unknown): Promise<{ syncs: SyncSeen[]; result?: any; error?: any }> {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(300_000),
  });
  const syncs: SyncSeen[] = [];
  const out: { syncs: SyncSeen[]; result?: any; error?: any } = { syncs };
  if (!res.body || !(res.headers.get("content-type") ?? "").includes("text/event-stream")) {
    out.error = await res.json().catch(() => ({ status: res.status }));
    return out;
  }
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const name = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (!name || data === undefined) continue;
      const event = JSON.parse(data) as any;
      if (name === "progress" && event.phase === "sync" && event.state === "start") syncs.push({ start: Date.now() });
      if (name === "progress" && event.phase === "sync" && event.state === "done" && syncs.at(-1)) syncs.at(-1)!.done = Date.now();
      if (name === "result") out.result = event;
      if (name === "error") out.error = event;
    }
  }
  return out;
}

/** The environment of a runner that installs from the run's test registry only, with the token. */
async function registryRunnerEnv(): Promise<{ env: Record<string, string>; dir: string }> {
  const made = await registryEnv(inject("registryUrl"));
  return { env: { ...(made.env as Record<string, string>), COSMO_ADMIN_TOKEN: TOKEN }, dir: made.dir };
}

/** Runs `work` over `items`, `width` at a time. */
async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

const sameSet = (a: readonly string[] | undefined, b: readonly string[]) => a !== undefined && [...a].sort().join(",") === [...b].sort().join(",");

afterAll(() => {
  const width = Math.max(...rows.map((r) => r.check.length), 5);
  const lines = [
    `Cosmo reliability (${FULL ? "full: npm run reliability" : "short form, as in npm test"})`,
    `${"check".padEnd(width)} | trials | result`,
    `${"-".repeat(width)}-|--------|-------`,
    ...rows.map((r) => `${r.check.padEnd(width)} | ${String(r.trials).padStart(6)} | ${r.ok ? "" : "FAILED: "}${r.result}`),
    `runner exits: ${runnerExits}`,
  ];
  console.log(lines.join("\n"));
});

describe("reliability", () => {
  it(`contains every fault mode with ${N.healthy} healthy plugins serving meanwhile`, async () => {
    const modes = Object.keys(FAULTS) as FaultMode[];
    const healthy = Array.from({ length: N.healthy }, (_, i) => healthyPlugin(`healthy-${i}`, `/healthy-${i}`));
    const plugins = [...healthy, ...modes.map((m) => faultyPlugin(`f-${m}`, `/${m}`, m))];
    await withRunner(plugins, ["--watchdog", "1000", "--max-heap", "96"], async (runner) => {
      for (const mode of modes) {
        // Clients keep hitting healthy routes through the fault and its recovery.
        let stop = false;
        const samples: { at: number; ok: boolean }[] = [];
        const client = async (i: number) => {
          while (!stop) {
            const at = Date.now();
            const ok = await fetch(`${runner.url}/healthy-${i % N.healthy}/ok`, { signal: AbortSignal.timeout(15_000) }).then((r) => r.status === 200, () => false);
            samples.push({ at, ok });
          }
        };
        const clients = Promise.all([0, 1, 2, 3].map(client));
        const startedAt = Date.now();
        await fetch(`${runner.url}/${mode}/boom`, { signal: AbortSignal.timeout(20_000) }).catch(() => undefined);
        const expected = mode === "unhandled-rejection" ? "failed" : "quarantined";
        const seen = await until(async () => {
          const res = await fetch(`${runner.url}/plugins/installed`, { signal: AbortSignal.timeout(5_000) });
          const body = (await res.json()) as { plugins: { name: string; status: string }[] };
          return body.plugins.find((p) => p.name === `f-${mode}`)?.status === expected ? true : undefined;
        });
        const recoveredAt = Date.now();
        const recovery = recoveredAt - startedAt;
        await new Promise((r) => setTimeout(r, 1000));
        stop = true;
        await clients;
        // Requests started before the plugin was set aside may fail (those a blocked worker
        // held die with it); every request started after must succeed.
        const during = samples.filter((x) => x.at < recoveredAt);
        const after = samples.filter((x) => x.at >= recoveredAt);
        const afterSent = during.length;
        const afterFailed = during.filter((x) => !x.ok).length;
        const failed = afterFailed + after.filter((x) => !x.ok).length;
        const ok = seen === true && failed - afterFailed === 0 && runner.child.exitCode === null;
        rows.push({
          check: `fault "${mode}" (${N.healthy} healthy plugins)`,
          trials: 1,
          result: `${seen ? `${expected}, named` : "NOT NAMED"} in ${recovery} ms; healthy requests failed meanwhile: ${afterFailed} of ${afterSent}, after: ${failed - afterFailed}`,
          ok,
        });
        if (!seen) console.error(`runner stderr (f-${mode} not ${expected}):\n${runner.stderr().slice(-4000)}`);
        expect(seen, `f-${mode} ${expected}`).toBe(true);
        expect(failed - afterFailed).toBe(0);
      }
    });
    expect(runnerExits).toBe(0);
  }, 600_000);

  it("answers fuzzed raw requests and prefix escapes without a 5xx, a hang or a hijack", async () => {
    const hijacker = { name: "hijacker", prefix: "/a", source: `export const plugin = { setup(ctx) { ctx.route("GET", "/x", () => "a"); try { ctx.route("GET", "/%2e%2e/b/x", () => "hijacked"); } catch {} } };\n` };
    await withRunner([versionPlugin("b", "/b", "1"), hijacker], [], async (runner) => {
      const pid = ((await (await fetch(`${runner.url}/health`)).json()) as { pid: number }).pid;
      let bad = 0;
      let hijacked = 0;
      await fc.assert(
        fc.asyncProperty(requestLineArbitrary(), async (bytes) => {
          const answer = await rawRequest(runner.port, bytes);
          if (answer.status === undefined || answer.status >= 500) bad++;
          if (answer.body.includes("hijacked")) hijacked++;
        }),
        { numRuns: N.rawRequests },
      );
      const spellings = ["..", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "%2E."];
      let escapes = 0;
      for (const s of spellings) {
        for (const target of [`/a/${s}/b/x`, `/a/${s}/a/x`, `/${s}/b/x`]) {
          escapes++;
          const answer = await rawRequest(runner.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
          if (answer.body.includes("hijacked")) hijacked++;
          if (answer.status === undefined || answer.status >= 500) bad++;
        }
      }
      const samePid = ((await (await fetch(`${runner.url}/health`)).json()) as { pid: number }).pid === pid;
      rows.push({ check: "raw request fuzz (request lines, Host, targets)", trials: N.rawRequests, result: `5xx or no answer: ${bad}, worker lost: ${samePid ? 0 : 1}`, ok: bad === 0 && samePid });
      rows.push({ check: "prefix escapes (dot segments, every spelling)", trials: escapes, result: `hijacked paths: ${hijacked}`, ok: hijacked === 0 });
      expect(bad).toBe(0);
      expect(hijacked).toBe(0);
      expect(samePid).toBe(true);
    });
  }, 600_000);

  it("refuses every mutating endpoint without the token, enumerated from the API's endpoint list", async () => {
    await withRunner([healthyPlugin("calm", "/calm")], [], async (runner) => {
      const mutating = endpoints.filter((e) => e.auth === "admin");
      let open = 0;
      for (const e of mutating) {
        const path = e.path.replace("{id}", "00000000-0000-4000-8000-000000000000");
        const res = await fetch(`${runner.url}${path}`, { method: e.method.toUpperCase(), headers: { "content-type": "application/json" }, body: e.method === "get" ? undefined : "{}" });
        if (res.status !== 401) open++;
      }
      rows.push({ check: "admin endpoints without a token", trials: mutating.length, result: `answered without 401: ${open}`, ok: open === 0 });
      expect(open).toBe(0);
    });
  }, 120_000);

  it("fuzzes admin API bodies and sources without a 5xx or prototype pollution", async () => {
    const canary = { name: "canary", prefix: "/canary", source: `export const plugin = { setup(ctx) { ctx.route("GET", "/proto", () => ({ keys: Object.keys(Object.prototype), polluted: ({}).polluted ?? null })); } };\n` };
    await withRunner([canary], [], async (runner) => {
      const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
      let fivexx = 0;
      const post = async (path: string, body: string) => {
        const res = await fetch(`${runner.url}${path}`, { method: "POST", headers: auth, body });
        if (res.status >= 500) fivexx++;
        await res.arrayBuffer();
      };
      const { id } = (await (await fetch(`${runner.url}/plugins`, { method: "POST", headers: auth, body: JSON.stringify({ source: "some-plugin" }) })).json()) as { id: string };
      const bodyArb = fc.oneof(
        fc.jsonValue().map((v) => JSON.stringify(v)),
        fc.constantFrom('{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '{"apply":{"__proto__":{"polluted":1}}}', "{", "null", '{"apply":"yes"}'),
        fc.string({ maxLength: 40 }),
      );
      const paths = ["/plugins", `/plugins/${id}/disable`, `/plugins/${id}/enable`, "/plugins/reload"];
      await fc.assert(fc.asyncProperty(fc.constantFrom(...paths), bodyArb, async (path, body) => post(path, body)), { numRuns: N.bodies });
      let sources5xx = 0;
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom("../../etc/passwd", "file:/etc", "git+ssh://x", "@/x", "a@", "__proto__", "http://127.0.0.1:1/x.tgz")), async (source) => {
          const res = await fetch(`${runner.url}/plugins`, { method: "POST", headers: auth, body: JSON.stringify({ source }) });
          if (res.status >= 500) sources5xx++;
          const created = (await res.json().catch(() => ({}))) as { id?: string };
          if (created.id) await fetch(`${runner.url}/plugins/${created.id}`, { method: "DELETE", headers: auth });
        }),
        { numRuns: N.sources },
      );
      const proto = (await (await fetch(`${runner.url}/canary/proto`)).json()) as { keys: string[]; polluted: unknown };
      const polluted = proto.keys.length > 0 || proto.polluted !== null;
      rows.push({ check: "admin API body fuzz (POST endpoints)", trials: N.bodies, result: `5xx: ${fivexx}, prototype polluted: ${polluted ? 1 : 0}`, ok: fivexx === 0 && !polluted });
      rows.push({ check: "source fuzz (POST /plugins)", trials: N.sources, result: `5xx: ${sources5xx}`, ok: sources5xx === 0 });
      expect(fivexx).toBe(0);
      expect(sources5xx).toBe(0);
      expect(polluted).toBe(false);
    });
  }, 600_000);

  it("fuzzes manifests: every bad one is a coded error, never a crash", () => {
    let uncoded = 0;
    const field = fc.oneof(fc.anything(), fc.string(), fc.constantFrom("/a", "/../x", "/%2e%2e", "1.0.0", "./x.js:X", true));
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.record({ name: field, version: field, plugin_class: field, requires_webhooks: field, webhook_prefix: field, cosmo: field }, { requiredKeys: [] })), (m) => {
        try {
          validateManifest(m, "fuzzed");
        } catch (error) {
          if (!isCosmoError(error)) uncoded++;
        }
      }),
      { numRuns: N.manifests },
    );
    rows.push({ check: "manifest fuzz (validateManifest)", trials: N.manifests, result: `uncoded throws: ${uncoded}`, ok: uncoded === 0 });
    expect(uncoded).toBe(0);
  });

  it("keeps the admin token out of plugins' reach by environment", async () => {
    const spy = {
      name: "spy",
      prefix: "/spy",
      source: `import { readFileSync } from "node:fs";\nexport const plugin = { setup(ctx) { ctx.route("GET", "/look", () => ({ env: JSON.stringify(process.env), proc: readFileSync("/proc/self/environ", "latin1"), argv: process.argv.join(" "), execArgv: process.execArgv.join(" ") })); } };\n`,
    };
    await withRunner([spy], [], async (runner) => {
      const seen = (await (await fetch(`${runner.url}/spy/look`)).json()) as Record<string, string>;
      const leaks = Object.entries(seen).filter(([, text]) => text.includes(TOKEN)).map(([where]) => where);
      rows.push({ check: "admin token in a plugin's env, /proc/self/environ, argv", trials: 4, result: `found in: ${leaks.length === 0 ? "none" : leaks.join(", ")}`, ok: leaks.length === 0 });
      expect(leaks).toEqual([]);
    });
  }, 120_000);

  it("survives kill -9 of the whole process group at random points of a reload and a quarantine", async () => {
    let torn = 0;
    let failedStarts = 0;
    for (let trial = 0; trial < N.kills; trial++) {
      const dataDir = await mkdtemp(join(tmpdir(), "cosmo-kill-"));
      try {
        const v1 = await makeBundle(dataDir, "v1", [versionPlugin("hello", "/hello", "1")]);
        await useBundle(dataDir, v1);
        const port = await freePort();
        const child = spawn(process.execPath, [BIN, "start", "--port", String(port), "--data-dir", dataDir], {
          env: { ...process.env, COSMO_ADMIN_TOKEN: TOKEN, NO_COLOR: "1" },
          stdio: ["ignore", "pipe", "pipe"],
          detached: true, // its own process group: the primary and its workers die together
        });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", () => {});
        await until(async () => (out.includes("listening on") ? true : undefined), 30_000);
        await useBundle(dataDir, await makeBundle(dataDir, "v2", [versionPlugin("hello", "/hello", "2"), faultyPlugin("wild", "/wild", "exit")]));
        const reload = fetch(`http://127.0.0.1:${port}/plugins/reload`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } }).catch(() => undefined);
        const wild = fetch(`http://127.0.0.1:${port}/wild/boom`).catch(() => undefined);
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 1500)));
        const exited = new Promise((r) => child.once("exit", r));
        process.kill(-child.pid!, "SIGKILL");
        await exited;
        await Promise.all([reload, wild]);
        // Every file parses, the bundle link is a whole bundle.
        for (const file of ["plugins/containment.json", "runner.json"]) {
          const text = await readFile(join(dataDir, file), "utf8").catch(() => undefined);
          if (text !== undefined) {
            try {
              JSON.parse(text);
            } catch {
              torn++;
            }
          }
        }
        const link = await currentLink(dataDir);
        if (!link || !(await readdir(join(link, "node_modules")).catch(() => undefined))) torn++;
        // And the next start serves.
        const again = await startRunner(["--port", String(await freePort()), "--data-dir", dataDir], { COSMO_ADMIN_TOKEN: TOKEN }).catch(() => undefined);
        if (!again) failedStarts++;
        else {
          const health = await fetch(`${again.url}/health`).then((r) => r.status, () => 0);
          if (health !== 200) failedStarts++;
          await stopRunner(again);
        }
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    }
    rows.push({ check: "kill -9 of the process group during reload + quarantine", trials: N.kills, result: `torn files or bundles: ${torn}, next start failed: ${failedStarts}`, ok: torn === 0 && failedStarts === 0 });
    expect(torn).toBe(0);
    expect(failedStarts).toBe(0);
  }, 3_600_000);
  it(`survives kill -9 of the process group at random points of install, apply and uninstall (${N.setKills} trials, test registry)`, async () => {
    const [A, B] = ["cosmo-rel-kill-a", "cosmo-rel-kill-b"];
    await publishPlugins(inject("registryUrl"), [
      { name: A, version: "1.0.0", prefix: "/kill-a" },
      { name: B, version: "1.0.0", prefix: "/kill-b" },
    ]);
    const { env, dir: npmDir } = await registryRunnerEnv();
    const root = await mkdtemp(join(tmpdir(), "cosmo-kill-set-"));
    const run = async <T>(dataDir: string, work: (url: string) => Promise<T>): Promise<T> => {
      const runner = await startRunner(["--port", String(await freePort()), "--data-dir", dataDir], env);
      try {
        return await work(runner.url);
      } finally {
        await stopRunner(runner);
      }
    };
    try {
      // Two data dirs to copy from: t1 serves A and has B recorded; t2 is t1 with B installed, not applied.
      const t1 = join(root, "t1");
      const t2 = join(root, "t2");
      let opMs = 0;
      const ids = await run(t1, async (url) => {
        const a = await admin(url, "POST", "/plugins", { source: A });
        const b = await admin(url, "POST", "/plugins", { source: B });
        const began = Date.now();
        expect((await admin(url, "POST", `/plugins/${a.body.id}/install`, { apply: true })).status).toBe(200);
        opMs = Date.now() - began;
        return { a: a.body.id as string, b: b.body.id as string };
      });
      await cp(t1, t2, { recursive: true, verbatimSymlinks: true });
      await run(t2, async (url) => expect((await admin(url, "POST", `/plugins/${ids.b}/install`)).status).toBe(200));

      // Each operation, the data dir it starts from, and the sets a crash may leave (old or new).
      const ops = [
        { name: "install", from: t1, tracked: [[A], [A, B]], bundled: [[A], [A, B]], run: async (url: string) => {
          await admin(url, "POST", `/plugins/${ids.b}/install`);
          await admin(url, "POST", "/plugins/apply");
        } },
        { name: "apply", from: t2, tracked: [[A, B]], bundled: [[A], [A, B]], run: async (url: string) => void (await admin(url, "POST", "/plugins/apply")) },
        { name: "uninstall", from: t1, tracked: [[A], []], bundled: [[A], []], run: async (url: string) => void (await admin(url, "POST", `/plugins/${ids.a}/uninstall`, { apply: true })) },
      ];
      let torn = 0;
      let notConverged = 0;
      let noStart = 0;
      const problems: string[] = [];
      const trials = Array.from({ length: N.setKills }, (_, i) => i);
      // In the long run four trials at a time: each mostly waits on its runners.
      await pool(trials, FULL ? 4 : 1, async (trial) => {
        const op = ops[trial % ops.length]!;
        const dataDir = join(root, `trial-${trial}`);
        await cp(op.from, dataDir, { recursive: true, verbatimSymlinks: true });
        const port = await freePort();
        const child = spawn(process.execPath, [BIN, "start", "--port", String(port), "--data-dir", dataDir], {
          env: { ...env, NO_COLOR: "1" },
          stdio: ["ignore", "pipe", "pipe"],
          detached: true, // its own process group: the primary and its workers die together
        });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", () => {});
        const exited = new Promise((r) => child.once("exit", r));
        const listening = await until(async () => (out.includes("listening on") ? true : undefined), 60_000);
        if (!listening) noStart++;
        const work = op.run(`http://127.0.0.1:${port}`).catch(() => undefined);
        // Anywhere in the operation: from its first byte to a little past its usual end.
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * opMs * 1.3)));
        process.kill(-child.pid!, "SIGKILL");
        await exited;
        await work;
        const state = await readDataDirState(dataDir, [A, B]);
        const whole = state.torn.length === 0 && op.tracked.some((s) => sameSet(state.tracked, s)) && op.bundled.some((s) => sameSet(state.bundled, s));
        if (!whole) {
          torn++;
          problems.push(`trial ${trial} (${op.name}): ${JSON.stringify(state)}`);
        }
        // A restarted runner converges: records, tracking file and (after an apply, when they
        // differ) the bundle agree, and it serves exactly the installed plugins.
        const again = await startRunner(["--port", String(await freePort()), "--data-dir", dataDir], env).catch(() => undefined);
        if (!again) {
          notConverged++;
          problems.push(`trial ${trial} (${op.name}): the restarted runner did not start`);
        } else {
          try {
            const records = (await admin(again.url, "GET", "/plugins")).body.plugins as { name: string; install_status: string }[];
            const installed = records.filter((r) => r.install_status === "installed").map((r) => r.name);
            let now = await readDataDirState(dataDir, [A, B]);
            let applied = 200;
            if (!sameSet(now.bundled, installed)) {
              applied = (await admin(again.url, "POST", "/plugins/apply")).status;
              now = await readDataDirState(dataDir, [A, B]);
            }
            const served = await Promise.all([A, B].map(async (name) => ((await freshRequest(`${again.url}/${name.replace("cosmo-rel-", "")}/ok`)).status === 200 ? name : undefined)));
            const converged = applied === 200 && sameSet(now.tracked, installed) && sameSet(now.bundled, installed) && sameSet(served.filter((s) => s !== undefined), installed);
            if (!converged) {
              notConverged++;
              problems.push(`trial ${trial} (${op.name}): installed ${installed}, apply ${applied}, now ${JSON.stringify(now)}, served ${served}`);
            }
          } finally {
            await stopRunner(again);
          }
        }
        await rm(dataDir, { recursive: true, force: true });
      });
      if (problems.length > 0) console.error(problems.join("\n"));
      rows.push({
        check: "kill -9 of the process group during install, apply, uninstall (registry)",
        trials: N.setKills,
        result: `torn states: ${torn}, not converged after restart: ${notConverged}, start failed: ${noStart}`,
        ok: torn === 0 && notConverged === 0 && noStart === 0,
      });
      expect(problems).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
      await rm(npmDir, { recursive: true, force: true });
    }
  }, 7_200_000);

  it(`keeps one record and one tracked line per plugin, and one sync at a time, under ${N.installRequests} concurrent install requests over 10 plugins`, async () => {
    const names = Array.from({ length: 10 }, (_, i) => `cosmo-rel-many-${i}`);
    await publishPlugins(inject("registryUrl"), names.map((name, i) => ({ name, version: "1.0.0", prefix: `/many-${i}` })));
    const { env, dir: npmDir } = await registryRunnerEnv();
    const dataDir = await mkdtemp(join(tmpdir(), "cosmo-many-"));
    const runner = await startRunner(["--port", String(await freePort()), "--data-dir", dataDir], env);
    try {
      const statuses = new Map<string, number>();
      const count = (what: string) => statuses.set(what, (statuses.get(what) ?? 0) + 1);
      const syncs: SyncSeen[] = [];
      // No HTTP answer: counted under status 0 with what the client saw (a reset, a timeout).
      const noAnswer = (error: Error) => ({ status: 0, body: { error: { code: String((error.cause as { code?: string } | undefined)?.code ?? error.name) } } as any });
      // Every client adds its plugin (or finds the record another client added) and installs it;
      // one in fifty (one in twenty in the short form) also applies, as an event stream whose
      // progress events say when its sync ran: two syncs at once would show overlapping spans.
      await Promise.all(
        Array.from({ length: N.installRequests }, async (_, i) => {
          const source = names[i % names.length]!;
          const added = await admin(runner.url, "POST", "/plugins", { source }).catch(noAnswer);
          count(`POST /plugins ${added.status}${added.body?.error ? ` ${added.body.error.code}` : ""}`);
          const id = added.status === 201 ? added.body.id : added.body?.error?.details?.id;
          if (typeof id !== "string") return;
          if (i % (FULL ? 50 : 20) === 19) {
            const seen = await streamed(runner.url, `/plugins/${id}/install`, { apply: true }).catch((error: Error): Awaited<ReturnType<typeof streamed>> => ({ syncs: [], error: noAnswer(error).body.error }));
            syncs.push(...seen.syncs);
            count(`POST /plugins/:id/install {apply} ${seen.result ? 200 : seen.error?.status ?? 0}${seen.error?.code ? ` ${seen.error.code}` : seen.error?.error?.code ? ` ${seen.error.error.code}` : ""}`);
            return;
          }
          const installed = await admin(runner.url, "POST", `/plugins/${id}/install`).catch(noAnswer);
          count(`POST /plugins/:id/install ${installed.status}${installed.body?.error ? ` ${installed.body.error.code}` : ""}`);
        }),
      );
      const applied = await streamed(runner.url, "/plugins/apply", {});
      syncs.push(...applied.syncs);
      const records = (await admin(runner.url, "GET", "/plugins")).body.plugins as { name: string; install_status: string }[];
      const tracked = (await readFile(join(dataDir, "plugins", "installed_plugins.txt"), "utf8")).split("\n").filter(Boolean);
      const duplicateLines = tracked.length - new Set(tracked).size;
      // One sync at a time: no two seen spans overlap, and no staging dir is left.
      const whole = syncs.filter((x): x is Required<SyncSeen> => x.done !== undefined).sort((a, b) => a.start - b.start);
      let overlapping = 0;
      for (let k = 1; k < whole.length; k++) if (whole[k]!.start < whole[k - 1]!.done) overlapping++;
      const staging = (await readdir(join(dataDir, "bundle.versions"))).filter((d) => d.includes(".staging")).length;
      const served = (await Promise.all(names.map(async (_, i) => (await freshRequest(`${runner.url}/many-${i}/ok`)).status))).filter((s) => s === 200).length;
      const tally = (pattern: RegExp) => [...statuses].filter(([k]) => pattern.test(k)).reduce((n, [, v]) => n + v, 0);
      const fivexx = tally(/ 5\d\d( |$)/);
      // A connection the server closed with the request unanswered (a retired worker's drain
      // used to cut the applies queued in it; see test/reload-under-applies.test.ts).
      const unanswered = [...statuses].filter(([k]) => / 0 /.test(k)).map(([k, v]) => `${v} ${k.split(" ").pop()}`);
      const ok = records.length === 10 && records.every((r) => r.install_status === "installed") && tracked.length === 10 && duplicateLines === 0 && overlapping === 0 && staging === 0 && served === 10 && fivexx === 0 && unanswered.length === 0;
      rows.push({
        check: "concurrent install requests over 10 plugins",
        trials: N.installRequests,
        result: `records: ${records.length}, tracked lines: ${tracked.length} (duplicates: ${duplicateLines}), syncs seen: ${whole.length} (overlapping: ${overlapping}), 5xx: ${fivexx}, no answer: ${unanswered.length === 0 ? 0 : unanswered.join(", ")}, serving: ${served}`,
        ok,
      });
      console.info(`concurrent installs: ${JSON.stringify(Object.fromEntries(statuses))}`);
      expect(applied.result, JSON.stringify(applied.error)).toBeDefined();
      expect(records).toHaveLength(10);
      expect(records.every((r) => r.install_status === "installed")).toBe(true);
      expect(tracked).toHaveLength(10);
      expect(duplicateLines).toBe(0);
      expect(overlapping).toBe(0);
      expect(staging).toBe(0);
      expect(served).toBe(10);
      expect(fivexx).toBe(0);
      expect(unanswered).toEqual([]);
    } finally {
      await stopRunner(runner);
      await rm(dataDir, { recursive: true, force: true });
      await rm(npmDir, { recursive: true, force: true });
    }
  }, 1_800_000);
  it("runs no lifecycle script of a plugin or its dependency during check, install, apply, upgrade and fleet sync", async () => {
    const [LIB, PLUGIN] = ["cosmo-rel-canary-lib", "cosmo-rel-canary"];
    await publishPlugins(inject("registryUrl"), [
      { name: LIB, version: "1.0.0", scripts: true },
      { name: PLUGIN, version: "1.0.0", prefix: "/canary-1", dependencies: { [LIB]: "^1.0.0" }, scripts: true },
      { name: PLUGIN, version: "1.1.0", prefix: "/canary-1", dependencies: { [LIB]: "^1.0.0" }, scripts: true },
    ]);
    const canaryDir = await mkdtemp(join(tmpdir(), "cosmo-canary-"));
    const made = await registryRunnerEnv();
    const env = { ...made.env, COSMO_TEST_CANARY_DIR: canaryDir };
    // A fleet of two when a redis-server is at hand (the second runner syncs the first one's
    // lockfile); else one runner, and the fleet step is skipped with the line hasRedis printed.
    const fleet = hasRedis && canStartRedis;
    const redis = fleet ? await startRedis() : undefined;
    const dirs = [await mkdtemp(join(tmpdir(), "cosmo-canary-a-")), await mkdtemp(join(tmpdir(), "cosmo-canary-b-"))];
    const store = redis ? ["--store", redis.url] : [];
    const runners: (CliProcess & { url: string })[] = [];
    const steps: string[] = [];
    const found: string[] = [];
    const look = async (step: string) => {
      steps.push(step);
      for (const dir of [canaryDir, ...dirs]) for (const file of await canariesUnder(dir)) found.push(`${step}: ${file}`);
    };
    try {
      const checked = await cli(["check", `${PLUGIN}@1.0.0`, "--data-dir", dirs[0]!], env);
      expect(checked.code, checked.stderr).toBe(0);
      const checkedFixture = await cli(["check", "plugin-scripts", "--data-dir", dirs[0]!], env);
      expect(checkedFixture.code, checkedFixture.stderr).toBe(0);
      await look("check");
      runners.push(await startRunner(["--port", String(await freePort()), "--data-dir", dirs[0]!, ...store], env));
      if (redis) runners.push(await startRunner(["--port", String(await freePort()), "--data-dir", dirs[1]!, ...store], env));
      const [a] = runners as [CliProcess & { url: string }];
      const plugin = await admin(a.url, "POST", "/plugins", { source: `${PLUGIN}@1.0.0` });
      const fixture = await admin(a.url, "POST", "/plugins", { source: "plugin-scripts" });
      expect((await admin(a.url, "POST", `/plugins/${plugin.body.id}/install`)).status).toBe(200);
      expect((await admin(a.url, "POST", `/plugins/${fixture.body.id}/install`)).status).toBe(200);
      await look("install");
      const applied = await admin(a.url, "POST", "/plugins/apply");
      expect(applied.status, JSON.stringify(applied.body)).toBe(200);
      expect((await freshRequest(`${a.url}/canary-1/ok`)).body).toEqual({ ok: PLUGIN, version: "1.0.0" });
      await look("apply");
      const upgraded = await admin(a.url, "POST", `/plugins/${plugin.body.id}/upgrade`, { version: "1.1.0", apply: true });
      expect(upgraded.status, JSON.stringify(upgraded.body)).toBe(200);
      expect((await freshRequest(`${a.url}/canary-1/ok`)).body).toEqual({ ok: PLUGIN, version: "1.1.0" });
      await look("upgrade");
      if (runners[1]) {
        const b = runners[1];
        await until(async () => ((await freshRequest(`${b.url}/canary-1/ok`)).body?.version === "1.1.0" ? true : undefined), 120_000);
        expect((await freshRequest(`${b.url}/canary-1/ok`)).body).toEqual({ ok: PLUGIN, version: "1.1.0" });
        await look("fleet sync");
      }
      // The scripts are there to run: the packages in the bundle hold them.
      const bundle = await currentLink(dirs[0]!);
      const libManifest = JSON.parse(await readFile(join(bundle!, "node_modules", LIB, "package.json"), "utf8")) as { scripts?: Record<string, string> };
      expect(Object.keys(libManifest.scripts ?? {})).toEqual([...LIFECYCLE_EVENTS]);
      rows.push({
        check: `lifecycle-script canaries (${steps.join(", ")})`,
        trials: steps.length,
        result: `scripts run: ${found.length} (4 scripted packages, one a dependency, x ${LIFECYCLE_EVENTS.length} events)`,
        ok: found.length === 0,
      });
      expect(found).toEqual([]);
    } finally {
      await Promise.all(runners.map(stopRunner));
      await redis?.stop();
      for (const dir of [canaryDir, made.dir, ...dirs]) await rm(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
