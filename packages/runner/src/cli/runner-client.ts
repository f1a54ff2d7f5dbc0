/**
 * The CLI talking to a running runner of the same data dir (runner.json says where), through the
 * public typed client (`cosmo-runner/client`). The token is COSMO_ADMIN_TOKEN, else the data
 * dir's admin-token file; the CLI never generates one.
 */
import { join } from "node:path";
import { createError } from "@cosmo/core";
import { createRunnerClient, type RunnerClient } from "../client/index";
import { readRunnerFile, type RunnerInfo } from "../runner-file";
import { ADMIN_TOKEN_FILE, readAdminToken } from "../token";

/** The admin token a client sends: COSMO_ADMIN_TOKEN, else `<dataDir>/admin-token`. */
export async function readClientToken(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const found = await readAdminToken({ dataDir, env });
  if (found) return found.token;
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  throw createError("COSMO_E_ADMIN_TOKEN_INVALID", { file, reason: "there is no such file; set COSMO_ADMIN_TOKEN to the runner's token" });
}

/** A running runner: where runner.json says it is, and the typed client to call it. */
export interface RunnerConnection extends RunnerClient {
  info: RunnerInfo;
}

/** The runner serving `dataDir`, or undefined when none is running. */
export async function connectRunner(dataDir: string): Promise<RunnerConnection | undefined> {
  const info = await readRunnerFile(dataDir);
  if (!info) return undefined;
  const client = createRunnerClient({ url: info.url, token: await readClientToken(dataDir) });
  return { ...client, info };
}
