/**
 * The real cosmo-runner the docs' HTTP and CLI examples talk to: one per name a page gives
 * (`"runner": "quick-start"`), each with its own data dir, started as the CLI process a user
 * starts, with npm config pointing at the test registry. Examples on one runner run in page
 * order and share variables (`$TOKEN`, and what a directive captures, such as `$ID`).
 */
import { access, readFile, rm } from "node:fs/promises";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { registryEnv, BIN, startRunner, stopRunner, type CliProcess, requestOnNewConnection } from "@cosmo/test-kit";
import { matchesShape, run } from "./run";
import type { Block } from "./pages";
import { commands, parseCurl } from "./shell";

/** The address the docs write; replaced by the test runner's. */
const DOCS_ORIGIN = "http://127.0.0.1:3000";

interface Runner {
  proc: CliProcess & { url: string };
  dataDir: string;
  env: Record<string, string>;
  vars: Record<string, string>;
  cleanup: string[];
}

const runners = new Map<string, Promise<Runner>>();

async function startNamed(registryUrl: string): Promise<Runner> {
  const dataDir = await mkdtemp(join(tmpdir(), "cosmo-docs-runner-"));
  const npm = await registryEnv(registryUrl);
  const env = Object.fromEntries(Object.entries(npm.env).filter(([k, v]) => v !== undefined && (k.startsWith("npm_config_") || k === "PATH" || k === "HOME"))) as Record<string, string>;
  const proc = await startRunner(["--port", "0", "--data-dir", dataDir], env);
  const token = (await readFile(join(dataDir, "admin-token"), "utf8")).trim();
  return { proc, dataDir, env, vars: { TOKEN: token }, cleanup: [dataDir, npm.dir] };
}

/** The runner of that name, started on first use. */
export function runner(name: string, registryUrl: string): Promise<Runner> {
  let found = runners.get(name);
  if (!found) {
    found = startNamed(registryUrl);
    runners.set(name, found);
  }
  return found;
}

/** Stops every runner the docs started and removes their data dirs. */
export async function stopRunners(): Promise<void> {
  for (const pending of runners.values()) {
    const r = await pending.catch(() => undefined);
    if (!r) continue;
    await stopRunner(r.proc);
    for (const dir of r.cleanup) await rm(dir, { recursive: true, force: true });
  }
  runners.clear();
}

const where = (block: Block) => `${block.page}:${block.line}`;

/** Sends the curl command of an `http` block to the runner and checks status and shown response. */
export async function runHttp(block: Block, registryUrl: string): Promise<void> {
  const d = block.directive as Record<string, unknown>;
  const r = await runner(d.runner as string, registryUrl);
  const lines = commands(block.code, r.vars).filter((w) => w[0] !== "export");
  expect(lines.length, `${where(block)}: one curl command per http block`).toBe(1);
  const curl = parseCurl(lines[0] as string[]);
  expect(curl.url.startsWith(DOCS_ORIGIN), `${where(block)}: the docs call ${DOCS_ORIGIN}`).toBe(true);
  const response = await requestOnNewConnection(r.proc.url + curl.url.slice(DOCS_ORIGIN.length), { method: curl.method, headers: curl.headers, body: curl.body });
  const text = response.text;
  expect(response.status, `${where(block)}: ${curl.method} ${curl.url} -> ${text}`).toBe(d.status ?? 200);
  // Not every answer is JSON (POST /plugins/export sends an archive): such a body is no object.
  let body: Record<string, unknown> | undefined;
  try {
    body = text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    body = undefined;
  }
  for (const [name, key] of Object.entries((d.capture as Record<string, string> | undefined) ?? {})) {
    r.vars[name] = String(body?.[key]);
  }
  if (block.response && block.response.lang === "json") {
    expect(matchesShape(JSON.parse(block.response.code), body), `${where(block)}: the response shown at line ${block.response.line}`).toEqual([]);
  }
}

/** Runs the `npx cosmo-runner ...` lines of a `cli` block against the runner's data dir. */
export async function runCliBlock(block: Block, registryUrl: string): Promise<void> {
  const d = block.directive as Record<string, unknown>;
  const r = await runner(d.runner as string, registryUrl);
  await access(BIN);
  const lines = commands(block.code, r.vars).filter((w) => w[0] === "npx" && w[1] === "cosmo-runner");
  expect(lines.length, `${where(block)}: no npx cosmo-runner line`).toBeGreaterThan(0);
  for (const line of lines) {
    // `> file` only keeps stdout, which the test reads anyway.
    const redirect = line.indexOf(">");
    const argv = redirect === -1 ? line : line.slice(0, redirect);
    const env = { ...r.env, COSMO_DATA_DIR: r.dataDir };
    const result = await run(process.execPath, [BIN, ...argv.slice(2)], { cwd: r.dataDir, env });
    expect(result.code, `${where(block)}: ${argv.join(" ")}\n${result.stdout}\n${result.stderr}`).toBe(d.exit ?? 0);
    if (typeof d.stdout === "string") expect(result.stdout, where(block)).toMatch(new RegExp(d.stdout));
    if (typeof d.stderr === "string") expect(result.stderr, where(block)).toMatch(new RegExp(d.stderr));
    if (d.json === true && block.response?.lang === "json") {
      expect(matchesShape(JSON.parse(block.response.code), JSON.parse(result.stdout)), where(block)).toEqual([]);
    }
  }
}
