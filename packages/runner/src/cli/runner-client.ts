/**
 * The CLI talking to a running runner of the same data dir (runner.json says where), for what
 * only the server can do: reload onto a new bundle. The token is COSMO_ADMIN_TOKEN, else the
 * data dir's admin-token file; the CLI never generates one.
 */
import { join } from "node:path";
import { createError, errorMessage } from "@cosmo/core";
import { readRunnerFile, type RunnerInfo } from "../runner-file";
import { ADMIN_TOKEN_FILE, readAdminToken } from "../token";
import { deserializeError } from "../worker/messages";

/** The admin token a client sends: COSMO_ADMIN_TOKEN, else `<dataDir>/admin-token`. */
export async function readClientToken(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const found = await readAdminToken({ dataDir, env });
  if (found) return found.token;
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  throw createError("COSMO_E_ADMIN_TOKEN_INVALID", { file, reason: "there is no such file; set COSMO_ADMIN_TOKEN to the runner's token" });
}

/** A running runner and how to call it. */
export interface RunnerClient {
  info: RunnerInfo;
  /** Sends a request; resolves to the JSON body of a 2xx, throws the runner's coded error otherwise. */
  request(method: string, path: string, body?: unknown): Promise<unknown>;
}

/** The runner serving `dataDir`, or undefined when none is running. */
export async function connectRunner(dataDir: string): Promise<RunnerClient | undefined> {
  const info = await readRunnerFile(dataDir);
  if (!info) return undefined;
  const token = await readClientToken(dataDir);
  return {
    info,
    async request(method, path, body) {
      let response: Response;
      try {
        response = await fetch(new URL(path, info.url), {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (error) {
        throw createError("COSMO_E_RUNNER_UNREACHABLE", { url: info.url, pid: info.pid, reason: errorMessage((error as Error).cause ?? error) }, { cause: error });
      }
      const text = await response.text();
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: reported below with the status
      }
      if (response.ok) return parsed;
      const error = (parsed as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)?.error;
      if (error?.message) throw deserializeError({ code: error.code, message: error.message, details: error.details });
      throw createError("COSMO_E_RUNNER_UNREACHABLE", { url: info.url, pid: info.pid, reason: `HTTP ${response.status}: ${text.slice(0, 200)}` });
    },
  };
}
