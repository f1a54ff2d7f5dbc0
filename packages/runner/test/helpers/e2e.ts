/**
 * Helpers of the end-to-end tests: the CLI run to its exit, admin API calls with or without the
 * token, the smart-switch example published to the test registry, and a fingerprint of the
 * runner's package dir (sync must never write there).
 */
import { access, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { publishDirectory, hashTree, runCli, requestOnNewConnection, registryEnv } from "@cosmo/test-kit";

/** The runner package (the host whose dependencies are bundled). */
export const runnerDir = join(dirname(fileURLToPath(import.meta.url)), "../..");
/** The example smart-switch plugin, as the repository builds it. */
export const exampleDir = join(runnerDir, "../../examples/smart-switch");
/** Its package name, what a user installs. */
export const EXAMPLE = "cosmo-plugin-smart-switch";

/** Publishes the built example (the root globalSetup builds it) to the test registry. */
export async function publishExample(registryUrl: string): Promise<string> {
  try {
    await access(join(exampleDir, "dist", "index.js"));
  } catch {
    throw new Error(`${exampleDir}/dist is missing: run \`npm run build\` at the repository root first`);
  }
  return publishDirectory(registryUrl, exampleDir);
}

/** Publishes the example, then an npm environment that reaches only the test registry (`dir`: remove it after). */
export async function exampleEnv(registryUrl: string): Promise<{ env: Record<string, string>; dir: string }> {
  await publishExample(registryUrl);
  const made = await registryEnv(registryUrl);
  return { env: made.env as Record<string, string>, dir: made.dir };
}

/** Runs the CLI to its exit; resolves with the exit code and what it printed. */
export async function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = runCli(args, env);
  const { code } = await proc.exited;
  return { code, stdout: proc.stdout(), stderr: proc.stderr() };
}

/** Calls the admin API; `token: null` sends none. Resolves with the status and the parsed body. */
export async function api(
  base: string,
  method: string,
  path: string,
  options: { token: string | null; body?: unknown },
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (options.token !== null) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  // A bound per request: a hang then names the request that hung instead of timing the test out.
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(30_000),
  }).catch((error: unknown) => {
    throw new Error(`${method} ${path} failed: ${String((error as Error).cause ?? error)}`, { cause: error });
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body };
}

/** The runner package's files, minus what builds and vitest write (dist/, node_modules/.vite*). */
export async function runnerFingerprint(): Promise<Record<string, string>> {
  const tree = await hashTree(runnerDir);
  return Object.fromEntries(Object.entries(tree).filter(([rel]) => !/^(dist|node_modules\/\.vite)/.test(rel)));
}

/** The tracking file's bytes (empty when it does not exist). */
export function trackingBytes(dataDir: string): Promise<Buffer> {
  return readFile(join(dataDir, "plugins", "installed_plugins.txt")).catch(() => Buffer.alloc(0));
}

/** A request on a new connection (see requestOnNewConnection), its body parsed when it is JSON. */
export async function freshRequest(url: string, method = "GET"): Promise<{ status: number; body: any }> {
  const { status, text } = await requestOnNewConnection(url, { method });
  try {
    return { status, body: JSON.parse(text) };
  } catch {
    return { status, body: text };
  }
}
