import { spawn, type ChildProcess } from "node:child_process";
import { createConnection } from "node:net";
import { freePort } from "./ports";
import { findOnPath, systemBinary } from "./system-binary";

const externalUrl = process.env.COSMO_TEST_REDIS_URL;

/**
 * Whether the Redis suites can run here: a redis-server on the PATH (each suite starts its own),
 * or COSMO_TEST_REDIS_URL naming one already running. Use with `describe.skipIf(!hasRedis)`.
 */
export const hasRedis = systemBinary(
  "redis-server",
  "the Redis store and fleet tests",
  "apt-get install redis-server, or set COSMO_TEST_REDIS_URL=redis://127.0.0.1:6379 for a server already running",
  Boolean(externalUrl),
).available;

/** Tests that stop or pause the server need one of their own, not a shared COSMO_TEST_REDIS_URL. */
export const canStartRedis = Boolean(findOnPath("redis-server"));

/** A redis-server this test run started, on a loopback port of its own. */
export interface TestRedis {
  url: string;
  port: number;
  /** The child process, when this run started the server (undefined for COSMO_TEST_REDIS_URL). */
  child?: ChildProcess;
  stop(): Promise<void>;
}

/** True once something on the port answers PING with PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

/** Starts a throwaway redis-server (no persistence) and waits until it answers. */
export async function startRedis(): Promise<TestRedis> {
  if (!canStartRedis && externalUrl) {
    return { url: externalUrl, port: Number(new URL(externalUrl).port || 6379), stop: async () => {} };
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
    { stdio: "ignore" },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`redis-server did not start on port ${port}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    child,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
