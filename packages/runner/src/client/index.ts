/**
 * `cosmo-runner/client`: a typed client for the runner's HTTP API, for host apps, scripts and the
 * CLI itself. One method per endpoint, named after its operationId in `/openapi.json`; a
 * failure rejects with the runner's own coded error (`isCosmoError(e)`, `e.code`, `e.details`).
 * @example
 * const runner = createRunnerClient({ url: "http://127.0.0.1:3000", token: process.env.COSMO_ADMIN_TOKEN })
 * const record = await runner.addPlugin("cosmo-plugin-hue@^1")
 * await runner.installPlugin(record.id, { apply: true })
 */
import { createError, deserializeError, errorMessage } from "@cosmo/core";
import type {
  ApplyResultBody,
  ErrorBody,
  HealthBody,
  ImportResultBody,
  InstalledBody,
  PluginListBody,
  PluginRecordBody,
  ReloadResultBody,
  ReportBody,
  RpcResultBody,
  OutdatedBody,
  UpgradeResultBody,
} from "../api/schemas";

export type {
  ApplyResultBody,
  ErrorBody,
  HealthBody,
  ImportResultBody,
  InstalledBody,
  OutdatedBody,
  PluginListBody,
  PluginRecordBody,
  ReloadResultBody,
  ReportBody,
  RpcResultBody,
  UpgradeResultBody,
};

/** Options of `createRunnerClient`. */
export interface RunnerClientOptions {
  /** The runner's base URL, e.g. `http://127.0.0.1:3000`. */
  url: string | URL;
  /** The admin token (sent as `Authorization: Bearer`); needed for changes, and for reads when the runner guards them. */
  token?: string;
  /** The fetch to use (default: the global one). */
  fetch?: typeof globalThis.fetch;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
}

/** The runner's API, one method per endpoint. */
export interface RunnerClient {
  /** The base URL requests go to. */
  readonly url: string;
  /** `GET /health`. */
  health(): Promise<HealthBody>;
  /** `GET /openapi.json`. */
  openapi(): Promise<Record<string, unknown>>;
  /** `GET /plugins`. */
  listPlugins(): Promise<PluginListBody>;
  /** `POST /plugins`: records a source (pending). */
  addPlugin(source: string): Promise<PluginRecordBody>;
  /** `GET /plugins/{id}`. */
  getPlugin(id: string): Promise<PluginRecordBody>;
  /** `DELETE /plugins/{id}` (uninstalls an installed record first). */
  removePlugin(id: string): Promise<void>;
  /** `POST /plugins/{id}/install`; `{ apply: true }` also applies. A conflict rejects with COSMO_E_CONFLICT. */
  installPlugin(id: string, options?: { apply?: boolean }): Promise<RpcResultBody>;
  /** `POST /plugins/{id}/uninstall`; `{ apply: true }` also applies. */
  uninstallPlugin(id: string, options?: { apply?: boolean }): Promise<RpcResultBody>;
  /** `POST /plugins/apply`: bundle, sync, reload. */
  apply(): Promise<ApplyResultBody>;
  /** `POST /plugins/reload`: reload onto the current bundle. */
  reload(options?: { rollbackOnFailure?: boolean }): Promise<ReloadResultBody>;
  /** `GET /plugins/installed`: the plugins the server runs, with their routes. */
  installedPlugins(): Promise<InstalledBody>;
  /** `POST /plugins/:id/disable` (`apply`: reload now). */
  disablePlugin(id: string, options?: { apply?: boolean }): Promise<PluginRecordBody>;
  /** `POST /plugins/:id/enable` (`apply`: reload now); lifts a quarantine too. */
  enablePlugin(id: string, options?: { apply?: boolean }): Promise<PluginRecordBody>;
  /** `GET /plugins/report`: the bug report. */
  report(): Promise<ReportBody>;
  /** `POST /plugins/{id}/upgrade`: another version (default the newest that fits); a conflict rejects with COSMO_E_CONFLICT and changes nothing. */
  upgradePlugin(id: string, options?: { version?: string; apply?: boolean }): Promise<UpgradeResultBody>;
  /** `GET /plugins/outdated`: each installed plugin's newer versions, which fit and why the others do not. */
  outdatedPlugins(): Promise<OutdatedBody>;
  /** `POST /plugins/export`: the offline bundle (.tgz) as bytes. */
  exportPlugins(): Promise<Uint8Array>;
  /** `POST /plugins/import`: installs an offline bundle's bytes offline, serves and publishes it. */
  importPlugins(archive: Uint8Array): Promise<ImportResultBody>;
  /** Any endpoint: resolves to the parsed JSON of a 2xx (undefined for 204), rejects with the coded error otherwise. */
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}


const id = (value: string) => encodeURIComponent(value);

/** Creates a client for the runner at `options.url`. */
export function createRunnerClient(options: RunnerClientOptions): RunnerClient {
  const base = new URL(options.url);
  const url = base.toString().replace(/\/$/, "");
  const doFetch = options.fetch ?? globalThis.fetch;

  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    // Bytes (an offline bundle) go as they are; anything else as JSON.
    const raw = body instanceof Uint8Array;
    if (body !== undefined) headers["content-type"] = raw ? "application/gzip" : "application/json";
    let response: Response;
    try {
      response = await doFetch(new URL(path, base), { method, headers, body: body === undefined ? undefined : raw ? (body as Uint8Array<ArrayBuffer>) : JSON.stringify(body) });
    } catch (error) {
      throw createError("COSMO_E_RUNNER_UNREACHABLE", { url, reason: errorMessage((error as Error).cause ?? error) }, { cause: error });
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: reported below with the status
    }
    if (response.ok) return parsed as T;
    const error = (parsed as Partial<ErrorBody> | undefined)?.error;
    if (error?.code && error.message) throw deserializeError(error, { status: response.status });
    throw createError("COSMO_E_RUNNER_UNREACHABLE", { url, reason: `HTTP ${response.status}: ${text.slice(0, 200)}` });
  }

  // Optional bodies are sent only when there is something in them: a bare POST is valid too.
  const optional = (body: Record<string, unknown> | undefined) => (body && Object.keys(body).length > 0 ? body : undefined);

  return {
    url,
    request,
    health: () => request("GET", "/health"),
    openapi: () => request("GET", "/openapi.json"),
    listPlugins: () => request("GET", "/plugins"),
    addPlugin: (source) => request("POST", "/plugins", { source }),
    getPlugin: (pluginId) => request("GET", `/plugins/${id(pluginId)}`),
    removePlugin: async (pluginId) => {
      await request("DELETE", `/plugins/${id(pluginId)}`);
    },
    installPlugin: (pluginId, opts) => request("POST", `/plugins/${id(pluginId)}/install`, optional(opts)),
    uninstallPlugin: (pluginId, opts) => request("POST", `/plugins/${id(pluginId)}/uninstall`, optional(opts)),
    apply: () => request("POST", "/plugins/apply"),
    reload: (opts) => request("POST", "/plugins/reload", optional(opts)),
    installedPlugins: () => request("GET", "/plugins/installed"),
    disablePlugin: (pluginId, opts) => request("POST", `/plugins/${id(pluginId)}/disable`, optional(opts)),
    enablePlugin: (pluginId, opts) => request("POST", `/plugins/${id(pluginId)}/enable`, optional(opts)),
    report: () => request("GET", "/plugins/report"),
    upgradePlugin: (pluginId, opts) => request("POST", `/plugins/${id(pluginId)}/upgrade`, optional(opts)),
    outdatedPlugins: () => request("GET", "/plugins/outdated"),
    importPlugins: (archive) => request("POST", "/plugins/import", archive),
    exportPlugins: async () => {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      let response: Response;
      try {
        response = await doFetch(new URL("/plugins/export", base), { method: "POST", headers });
      } catch (error) {
        throw createError("COSMO_E_RUNNER_UNREACHABLE", { url, reason: errorMessage((error as Error).cause ?? error) }, { cause: error });
      }
      // An archive on success; on failure the one JSON error shape, as every endpoint answers.
      if (!response.ok) {
        const body = (await response.json().catch(() => undefined)) as Partial<ErrorBody> | undefined;
        if (body?.error?.code && body.error.message) throw deserializeError(body.error, { status: response.status });
        throw createError("COSMO_E_RUNNER_UNREACHABLE", { url, reason: `HTTP ${response.status}` });
      }
      return new Uint8Array(await response.arrayBuffer());
    },
  };
}
