/**
 * Applies queued in a worker that an earlier apply replaced: each one is still answered with
 * its result (the retired worker keeps their connections until they finish, and its reload
 * request is served by the primary, or found already served), and every plugin ends served.
 * Before, such requests got no answer at all (a socket error) once the drain cut them.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, inject, it } from "vitest";
import { Supervisor } from "../src/supervisor";
import { adminCall, freePort, registryEnv, startRunner, stopRunner } from "@cosmo/test-kit";
import { freshRequest } from "./helpers/e2e";
import { publishPlugins } from "./helpers/registry-plugins";

const TOKEN = "reload-under-applies-token-0123456789";
const PLUGINS = 10;
const APPLIES = 20;
// Plain installs sent alongside: they queue in the worker too, so applies queued behind them
// outlive the worker that an earlier apply replaced (its drain's 30 s bound passes).
const INSTALLS = 400;

/** Adds the plugins, then sends `APPLIES` install {apply} requests at once, plus `installs` plain ones. */
async function installAndApply(url: string, names: string[], installs: number): Promise<{ outcomes: string[]; tally: Record<string, number> }> {
  const ids: string[] = [];
  for (const source of names) {
    const added = await admin(url, "POST", "/plugins", { source });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    ids.push(added.body.id);
  }
  const every = Math.floor((APPLIES + installs) / APPLIES);
  const outcomes = await Promise.all(
    Array.from({ length: APPLIES + installs }, (_, i) =>
      admin(url, "POST", `/plugins/${ids[i % names.length]}/install`, i % every === every - 1 ? { apply: true } : undefined).then(
        (r) => `${i % every === every - 1 ? "apply " : ""}${r.status}${r.body?.error?.code ? ` ${r.body.error.code}` : ""}`,
        (error: Error) => `no answer ${String((error.cause as { code?: string } | undefined)?.code ?? error.name)}`,
      ),
    ),
  );
  const tally = Object.fromEntries([...new Set(outcomes)].map((o) => [o, outcomes.filter((x) => x === o).length]));
  return { outcomes, tally };
}

/** Every request answered, none 5xx, every apply 200, every plugin served. */
async function expectAllAnswered(url: string, prefix: string, outcomes: string[]): Promise<number> {
  const served = (await Promise.all(Array.from({ length: PLUGINS }, async (_, i) => (await freshRequest(`${url}/${prefix}-${i}/ok`)).status))).filter((s) => s === 200).length;
  expect(outcomes.filter((o) => o.startsWith("no answer"))).toEqual([]);
  expect(outcomes.filter((o) => /(^| )5\d\d( |$)/.test(o))).toEqual([]);
  expect(outcomes.filter((o) => o.startsWith("apply 200")).length).toBe(APPLIES);
  return served;
}

const admin = (url: string, method: string, path: string, body?: unknown) => adminCall(url, TOKEN, method, path, body, 600_000);

it(`answers each of ${APPLIES} install {apply} requests among ${INSTALLS} concurrent installs over ${PLUGINS} plugins, and serves them all`, async () => {
  const names = Array.from({ length: PLUGINS }, (_, i) => `cosmo-drain-${i}`);
  await publishPlugins(inject("registryUrl"), names.map((name, i) => ({ name, version: "1.0.0", prefix: `/drain-${i}` })));
  const made = await registryEnv(inject("registryUrl"));
  const dataDir = await mkdtemp(join(tmpdir(), "cosmo-drain-"));
  const runner = await startRunner(["--port", String(await freePort()), "--data-dir", dataDir], { ...(made.env as Record<string, string>), COSMO_ADMIN_TOKEN: TOKEN });
  try {
    const { outcomes, tally } = await installAndApply(runner.url, names, INSTALLS);
    const served = await expectAllAnswered(runner.url, "drain", outcomes);
    console.info(`runner: install x${INSTALLS} and install {apply} x${APPLIES}: ${JSON.stringify(tally)}; plugins served: ${served}/${PLUGINS}`);
    expect(served).toBe(PLUGINS);
  } finally {
    await stopRunner(runner);
    await rm(dataDir, { recursive: true, force: true });
    await rm(made.dir, { recursive: true, force: true });
  }
}, 900_000);

// The same through the supervisor driven directly, with a drain bound (200 ms) far shorter than
// one apply: every apply queued in a replaced worker outlives that worker's drain bound.
it(`answers each of ${APPLIES} concurrent install {apply} requests when the drain bound is shorter than an apply`, async () => {
  const names = Array.from({ length: PLUGINS }, (_, i) => `cosmo-drain-short-${i}`);
  await publishPlugins(inject("registryUrl"), names.map((name, i) => ({ name, version: "1.0.0", prefix: `/short-${i}` })));
  const made = await registryEnv(inject("registryUrl"));
  const dataDir = await mkdtemp(join(tmpdir(), "cosmo-drain-short-"));
  // The workers inherit this process's environment (npm's registry config), as under the CLI.
  const saved = { ...process.env };
  Object.assign(process.env, made.env);
  const quiet = { info() {}, warn() {}, error() {} };
  const supervisor = new Supervisor({
    exec: fileURLToPath(new URL("../dist/worker.js", import.meta.url)),
    logger: quiet,
    config: { port: await freePort(), host: "127.0.0.1", dataDir, token: TOKEN, clean: false, drainTimeout: 200 },
  });
  try {
    await supervisor.start();
    const url = supervisor.serving!.url;
    const { outcomes, tally } = await installAndApply(url, names, 0);
    const served = await expectAllAnswered(url, "short", outcomes);
    console.info(`supervisor (drain bound 200 ms): install {apply} x${APPLIES}: ${JSON.stringify(tally)}; plugins served: ${served}/${PLUGINS}`);
    expect(served).toBe(PLUGINS);
  } finally {
    await supervisor.stop();
    process.env = saved;
    await rm(dataDir, { recursive: true, force: true });
    await rm(made.dir, { recursive: true, force: true });
  }
}, 900_000);
