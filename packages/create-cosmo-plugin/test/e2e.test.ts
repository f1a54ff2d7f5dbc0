/**
 * End to end, as a plugin author goes: generate with flags (no prompts) -> dependencies -> its
 * own build and test pass -> npm pack -> npm publish to the test registry (verdaccio on
 * loopback, no uplinks) -> a real cosmo-runner process installs it by name through the admin
 * API -> its webhook answers. Each step is timed and printed: the numbers behind the quick
 * start's "how long".
 */
import { randomBytes } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { registryEnv, BIN as RUNNER_BIN, startRunner, stopRunner, type CliProcess, requestOnNewConnection } from "@cosmo/test-kit";
import { runBin, tempDir } from "./helpers/cli";
import { childEnv, linkWorkspaceDependencies, npm, runProcess } from "./helpers/workspace";

// Unique per run: a registry shared by the run's projects must not see this version twice.
const NAME = `created-plugin-${randomBytes(3).toString("hex")}`;
const PREFIX = `/${NAME}`;

let cwd: string;
let cleanup: () => Promise<void>;
let env: NodeJS.ProcessEnv;
let npmDir: string;
let runner: (CliProcess & { url: string }) | undefined;
const timings: [string, number][] = [];

/**
 * A POST on a connection of its own: a reload's new route must be asked on a new connection, not
 * the keep-alive one the previous worker still serves (see requestOnNewConnection).
 */
const postOnNewConnection = (url: string, body: string) =>
  requestOnNewConnection(url, { method: "POST", headers: { "content-type": "application/json" }, body });

async function timed<T>(step: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  timings.push([step, Math.round(performance.now() - started)]);
  return result;
}

beforeAll(async () => {
  ({ dir: cwd, cleanup } = await tempDir("create-cosmo-e2e-"));
  const made = await registryEnv(inject("registryUrl"), childEnv(process.env));
  env = made.env;
  npmDir = made.dir;
});

afterAll(async () => {
  if (runner) await stopRunner(runner);
  await cleanup();
  await rm(npmDir, { recursive: true, force: true });
  if (timings.length > 0) console.info(`create-cosmo-plugin e2e (ms): ${timings.map(([step, ms]) => `${step} ${ms}`).join(", ")}`);
});

describe("a generated plugin, from npm create to its webhook answering in a runner", { timeout: 120_000 }, () => {
  const dir = () => join(cwd, NAME);

  it("is generated without prompts", async () => {
    const result = await timed("create", () => runBin([NAME, "--yes", "--description", "Made by the e2e test"], cwd));
    expect(result.code, result.stderr).toBe(0);
  });

  it("builds and passes its own test", async () => {
    await linkWorkspaceDependencies(dir());
    const build = await timed("build", () => npm(["run", "build"], dir(), env));
    expect(build.code, build.stdout + build.stderr).toBe(0);
    const built = await readFile(join(dir(), "dist/index.js"), "utf8");
    // @cosmo/core stays an import (a peer), so the plugin gets the host's copy at run time.
    expect(built).toMatch(/from "@cosmo\/core"/);
    expect(built).not.toContain("class PluginService");
    await readFile(join(dir(), "dist/index.d.ts"), "utf8");

    const test = await timed("test", () => npm(["test"], dir(), env));
    expect(test.code, test.stdout + test.stderr).toBe(0);
    expect(test.stdout).toMatch(/1 passed/);

    const typecheck = await npm(["run", "typecheck"], dir(), env);
    expect(typecheck.code, typecheck.stdout + typecheck.stderr).toBe(0);
  });

  it("packs with cosmo.json and dist, and publishes to the registry", async () => {
    const packed = await timed("pack", () => npm(["pack", "--json"], dir(), env));
    expect(packed.code, packed.stderr).toBe(0);
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as { filename: string; files: { path: string }[] }[];
    expect(info!.files.map((f) => f.path).sort()).toEqual(["README.md", "cosmo.json", "dist/index.d.ts", "dist/index.js", "package.json"]);

    // npm refuses to publish without a token for the registry; verdaccio lets anyone publish
    // ($all), so any token will do. Given as a flag: the registry's URL is only known now.
    const auth = `--${inject("registryUrl").replace(/^https?:/, "")}:_authToken=e2e-test`;
    const published = await timed("publish", () => npm(["publish", info!.filename, auth], dir(), env));
    expect(published.code, published.stderr).toBe(0);
  });

  it("installs into a running cosmo-runner through the admin API, and its route answers", async () => {
    const dataDir = join(cwd, "runner-data");
    runner = await timed("runner start", () => startRunner(["--port", "0", "--data-dir", dataDir], env as Record<string, string>));
    const token = (await readFile(join(dataDir, "admin-token"), "utf8")).trim();
    const call = async (method: string, path: string, body?: unknown) => {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (body !== undefined) headers["content-type"] = "application/json";
      const res = await fetch(`${runner!.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
    };

    const added = await call("POST", "/plugins", { source: NAME });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const installed = await timed("install", () => call("POST", `/plugins/${added.body.id}/install`));
    expect(installed.status, JSON.stringify(installed.body)).toBe(200);
    expect(installed.body).toMatchObject({ install_status: "installed" });
    const applied = await timed("apply", () => call("POST", "/plugins/apply"));
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    // The set pins the exact version the check chose.
    expect(applied.body).toMatchObject({ plugins: [`${NAME}@0.1.0`], reload: { plugins: { active: 1, failed: 0 } } });

    const res = await timed("first request", () => postOnNewConnection(`${runner!.url}${PREFIX}/hello`, '{"hi":1}'));
    expect(res.status, res.text).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ plugin: NAME, received: { hi: 1 } });
  });

  it("installs from its own directory with the README's commands, no registry involved", async () => {
    await stopRunner(runner!);
    runner = undefined;
    const dataDir = join(cwd, "runner-data-local");
    // `npx cosmo-runner plugins install ./ --apply` in the plugin's dir: bundles and syncs here.
    const installed = await runProcess(process.execPath, [RUNNER_BIN, "plugins", "install", "./", "--apply", "--data-dir", dataDir], dir(), env);
    expect(installed.code, installed.stdout + installed.stderr).toBe(0);
    expect(installed.stdout).toContain(`${NAME} is installed.`);
    // `npx cosmo-runner start` serves that bundle.
    runner = await startRunner(["--port", "0", "--data-dir", dataDir], env as Record<string, string>);
    const res = await postOnNewConnection(`${runner.url}${PREFIX}/hello`, '{"hi":2}');
    expect(res.status, res.text).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ plugin: NAME, received: { hi: 2 } });
  });
});
