/**
 * Production logging, through the real bin: `--log-format json` prints JSON lines only (pino's
 * fields), `--access-log` adds one per request, a failed start shows and writes no token, and
 * reads need the token beyond loopback.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, stopRunner, type CliProcess } from "@cosmo/test-kit";

let dataDir: string;
let running: CliProcess | undefined;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "cosmo-logging-"));
});
afterEach(async () => {
  if (running) await stopRunner(running);
  running = undefined;
  await rm(dataDir, { recursive: true, force: true });
});

/** Every non-empty line of a stream, each parsed as JSON (the test fails on the first that is not). */
function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
    });
}

describe("cosmo-runner start --log-format json", () => {
  it("prints only JSON lines with pino's fields, the token and URL included, and an access line per request", { timeout: 60_000 }, async () => {
    running = runCli(["start", "--port", "0", "--data-dir", dataDir, "--log-format", "json", "--access-log", "--log-level", "debug"]);
    const [, url] = await running.waitFor(/"msg":"cosmo-runner listening on (http:\/\/[^"\s]+)"/);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await fetch(`${url}/nowhere`)).status).toBe(404);
    await running.waitFor(/"url":"\/nowhere"/);
    const { code } = await stopRunner(running);
    expect(code).toBe(0);

    const out = jsonLines(running.stdout());
    const err = jsonLines(running.stderr());
    for (const record of [...out, ...err]) {
      expect(record).toMatchObject({ level: expect.any(Number), time: expect.any(Number), msg: expect.any(String), pid: expect.any(Number) });
    }
    const token = out.find((r) => typeof r.token === "string");
    expect(token?.file).toBe(join(dataDir, "admin-token"));
    expect(out.find((r) => r.url === url)?.level).toBe(30);
    const access = out.filter((r) => r.msg === "request completed");
    expect(access.map((r) => [(r.req as { url: string }).url, (r.res as { statusCode: number }).statusCode])).toEqual([
      ["/health", 200],
      ["/nowhere", 404],
    ]);
    expect(access[0]).toMatchObject({ worker: expect.any(Number), responseTime: expect.any(Number) });
  });

  it("reports a usage error as a JSON line too", async () => {
    const proc = runCli(["start", "--port", "0", "--data-dir", dataDir, "--log-format", "json", "--port", "99999"]);
    expect((await proc.exited).code).toBe(2);
    const records = jsonLines(proc.stderr() + proc.stdout());
    expect(records.map((r) => r.code)).toContain("COSMO_E_CLI_USAGE");
  });
});

describe("the admin token at start", () => {
  let blocker: Server;
  afterEach(() => new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve())));

  it("is neither printed nor written when the start fails (port in use)", { timeout: 60_000 }, async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as { port: number };
    const proc = runCli(["start", "--port", String(port), "--data-dir", dataDir]);
    const { code } = await proc.exited;
    expect(code).toBe(1);
    expect(proc.stderr()).toMatch(/COSMO_E_LISTEN_FAILED/);
    expect(proc.stdout() + proc.stderr()).not.toMatch(/Admin token/);
    expect(existsSync(join(dataDir, "admin-token"))).toBe(false);
  });
});

describe("reads beyond loopback", () => {
  it("need the token when the runner listens on 0.0.0.0; /health then says only that it is up", { timeout: 60_000 }, async () => {
    running = runCli(["start", "--port", "0", "--host", "0.0.0.0", "--data-dir", dataDir]);
    const [, token] = await running.waitFor(/shown only this once\):\n\s+(\S+)/);
    const [, url] = await running.waitFor(/listening on http:\/\/[^:]+:(\d+)/);
    const base = `http://127.0.0.1:${url}`;
    const anonymous = await fetch(`${base}/plugins`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe("COSMO_E_AUTH_REQUIRED");
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: "ok" });
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${base}/plugins`, { headers: auth })).status).toBe(200);
    expect(await (await fetch(`${base}/health`, { headers: auth })).json()).toMatchObject({ status: "ok", version: expect.any(String) });
  });

  it("stay open beyond loopback with --no-read-auth, and on loopback by default", { timeout: 60_000 }, async () => {
    running = runCli(["start", "--port", "0", "--host", "0.0.0.0", "--no-read-auth", "--data-dir", dataDir]);
    const [, port] = await running.waitFor(/listening on http:\/\/[^:]+:(\d+)/);
    expect((await fetch(`http://127.0.0.1:${port}/plugins`)).status).toBe(200);
  });
});
