/**
 * `cosmo-runner start`: resolves the data dir, store and admin token, then runs the server
 * under the supervisor (or in this process with --no-cluster) until SIGTERM/SIGINT. While it
 * runs, `<dataDir>/runner.json` says where; SIGHUP reloads onto the current bundle.
 */
import { mkdir } from "node:fs/promises";
import { createError, deserializeError, isCosmoError } from "@cosmo/core";
import { defineCommand } from "citty";
import { resolveDataDir } from "../../data-dir";
import { readRunnerFile, removeRunnerFile, removeRunnerFileSync, writeRunnerFile } from "../../runner-file";
import { Supervisor } from "../../supervisor";
import { isLoopbackAddress } from "../../http/guards";
import { createLogger, getLogger, LOG_LEVELS, parseLogOptions, useLogger } from "../../logger";
import { loadAdminToken, saveAdminToken } from "../../token";
import type { SerializedError, WorkerConfig } from "../../worker/messages";
import { bundleToLoad } from "../../bundle-to-load";
import { usageError } from "../usage";
import { serveSingleProcess } from "../single-process";
import { sourcePolicyArgs, sourcePolicyFromArgs } from "../../operations/source-policy";
import { createPluginStore, resolveStoreUrl } from "../../store/create";
import { unservedReasons } from "../../operations/served";
import { sweepImportFiles } from "../../operations/import-file";
import { commonArgs } from "../shared";

/** Parses --port: an integer 0-65535 (0 = any free port), else a usage error. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port > 65_535) throw usageError(`--port must be a number from 0 to 65535, not "${value}"`, "start");
  return port;
}

/** Parses a whole number flag (ms, MB), else a usage error. */
function parseNonNegative(value: string, flag: string): number {
  if (!/^\d+$/.test(value.trim())) throw usageError(`${flag} must be a whole number, not "${value}"`, "start");
  return Number(value);
}

/** The error a failed worker start is best told by: the worker's own coded error, when it sent one. */
function startError(error: unknown): unknown {
  if (!isCosmoError(error) || error.code !== "COSMO_E_WORKER_START_FAILED") return error;
  const inner = error.details.error as SerializedError | undefined;
  if (!inner?.code || inner.code === "COSMO_E_INTERNAL") return error;
  const rebuilt = deserializeError(inner);
  // A code this copy of core does not know comes back as COSMO_E_INTERNAL: the outer error says more.
  return rebuilt.code === "COSMO_E_INTERNAL" ? error : rebuilt;
}

/** "a.example, b:8080" -> ["a.example", "b:8080"]; empty -> undefined (loopback only). */
function parseHostList(value: string | undefined): string[] | undefined {
  const hosts = (value ?? "").split(",").map((h) => h.trim()).filter(Boolean);
  return hosts.length > 0 ? hosts : undefined;
}

/** Says which installed plugins this start does not serve, and why (never fails the start). */
async function warnUnserved(dataDir: string, storeUrl: string | undefined, clean: boolean): Promise<void> {
  if (clean) return;
  try {
    const store = await createPluginStore(storeUrl, { dataDir });
    try {
      const records = await store.list();
      const reasons = await unservedReasons(dataDir, records, undefined, { shared: store.shared });
      for (const record of records) {
        const why = reasons.get(record.id);
        if (why) getLogger().warn(`${record.name} (${record.source}) is installed but not served: ${why}`);
      }
    } finally {
      await store.close().catch(() => undefined);
    }
  } catch (error) {
    getLogger().warn(`could not tell which plugins are served: ${isCosmoError(error) ? error.message : String(error)}`);
  }
}

export default defineCommand({
  meta: { name: "start", description: "Start the runner: the admin API and the plugins of the current bundle" },
  args: {
    port: { type: "string", default: "3000", description: "Port to listen on (0 = any free port)" },
    host: { type: "string", default: "127.0.0.1", description: "Address to listen on" },
    "data-dir": commonArgs["data-dir"],
    store: commonArgs.store,
    clean: { type: "boolean", default: false, description: "Start with no plugins, even when a bundle is installed" },
    "allowed-hosts": {
      type: "string",
      description: "Other host names the Host header may carry, comma-separated (default: COSMO_ALLOWED_HOSTS; loopback names always)",
    },
    ...sourcePolicyArgs,
    watchdog: {
      type: "string",
      default: "5000",
      description: "Replace a worker whose event loop is blocked this many ms, quarantining the plugin that blocked it (0 = off; not with --no-cluster)",
    },
    "max-heap": {
      type: "string",
      default: "1024",
      description: "Heap limit of each worker in MB (a plugin that allocates past it is quarantined; 0 = Node's default; not with --no-cluster)",
    },
    "log-level": {
      type: "string",
      description: `Lowest level logged: ${Object.keys(LOG_LEVELS).join(", ")} (default: COSMO_LOG_LEVEL, else info)`,
    },
    "log-format": {
      type: "string",
      description: "pretty (for a terminal) or json (one pino-compatible object a line) (default: COSMO_LOG_FORMAT, else pretty)",
    },
    "access-log": { type: "boolean", description: "Log one line per HTTP request (default: COSMO_ACCESS_LOG)" },
    "read-auth": {
      type: "boolean",
      description: "GET admin routes need the admin token too (default: on when --host is not a loopback address)",
      negativeDescription: "GET admin routes answer without the token, even beyond loopback",
    },
    cluster: {
      type: "boolean",
      default: true,
      description: "Serve from a supervised worker, so apply reloads without dropping requests",
      negativeDescription:
        "Serve from this process, for debugging: no reload, no watchdog, no heap limit, no quarantine (plugin faults are still caught and logged, but a blocked loop or an OOM stops the runner)",
    },
  },
  async run({ args }) {
    const log = useLogger(createLogger(parseLogOptions(args)));
    const json = log.options.format === "json";
    const port = parsePort(String(args.port));
    const host = String(args.host);
    const dataDir = resolveDataDir({ dataDir: args["data-dir"] });
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const running = await readRunnerFile(dataDir);
    if (running) throw createError("COSMO_E_RUNNER_ALREADY_RUNNING", { dataDir, url: running.url, pid: running.pid });
    // No runner is up on the data dir: an import file still there was cut short by a kill.
    await sweepImportFiles(dataDir, { all: true });

    const watchdog = parseNonNegative(String(args.watchdog), "--watchdog");
    const maxHeapMb = args["max-heap"] === undefined ? undefined : parseNonNegative(String(args["max-heap"]), "--max-heap") || undefined;
    // A new token is written and shown only once the server listens: a start that fails (a
    // port in use) leaves none behind, and the next start's token is the one that counts.
    let token = await loadAdminToken({ dataDir, deferWrite: true });
    // Workers get the token over IPC, never in their environment (see WorkerConfig).
    delete process.env.COSMO_ADMIN_TOKEN;
    const config: Omit<WorkerConfig, "bundle"> = {
      port,
      host,
      dataDir,
      store: resolveStoreUrl(args.store),
      token: token.token,
      clean: Boolean(args.clean),
      allowedHosts: parseHostList(args["allowed-hosts"] ?? process.env.COSMO_ALLOWED_HOSTS),
      stallTimeout: watchdog,
      log: log.options,
      // Beyond loopback, the plugin list and its sources are nobody else's business.
      guardReads: args["read-auth"] ?? !isLoopbackAddress(host),
      // Workers check, bundle and follow under the policy given here (flags, else the environment).
      sourcePolicy: sourcePolicyFromArgs(args),
    };

    process.once("exit", () => removeRunnerFileSync(dataDir));

    let finish!: (code: number) => void;
    const finished = new Promise<number>((resolve) => (finish = resolve));
    let stop: () => Promise<void>;
    let url = "";
    if (args.cluster) {
      const supervisor = new Supervisor({
        config,
        maxHeapMb,
        logger: log,
        // With --port 0 a restarted worker may get another port: keep runner.json current.
        onServing: (ready) => {
          if (url && ready.url !== url) {
            // A failed write must not become an unhandled rejection that takes the supervisor down.
            writeRunnerFile(dataDir, { url: (url = ready.url), pid: process.pid, started_at: new Date().toISOString() }).catch((error: unknown) =>
              log.warn(`could not update runner.json: ${error instanceof Error ? error.message : String(error)}`),
            );
          }
        },
        onFatal: (error) => {
          log.error({ code: error.code, details: error.details }, `error ${error.code}: ${error.message}`);
          void supervisor.stop().then(() => finish(1));
        },
      });
      const started = await supervisor.start().catch((error: unknown) => {
        throw startError(error);
      });
      url = supervisor.serving?.url ?? "";
      stop = () => supervisor.stop();
      process.on("SIGHUP", () => {
        supervisor.reload({ reason: "SIGHUP" }).catch((error: unknown) => log.error(isCosmoError(error) ? error.message : error));
      });
      log.info(
        { bundle: started.bundleId, clean: config.clean, plugins: started.plugins },
        `bundle ${started.bundleId ?? "none"}${config.clean ? " (clean start)" : ""}: ${started.plugins.active} plugin(s) active, ${started.plugins.failed} failed`,
      );
    } else {
      const server = await serveSingleProcess({ ...config, bundle: await bundleToLoad(dataDir, config.clean) });
      url = server.url;
      stop = () => server.close();
      // SIGHUP would otherwise end this process without draining or teardown.
      process.on("SIGHUP", () => log.warn(createError("COSMO_E_RELOAD_UNAVAILABLE", { reason: "started with --no-cluster" }).message));
    }
    if (token.generated) {
      token = await saveAdminToken(token, dataDir);
      if (token.token !== config.token) {
        await stop();
        throw createError("COSMO_E_ADMIN_TOKEN_INVALID", { file: token.file, reason: "another runner wrote a token meanwhile; start again to use it" });
      }
      // The only time the token is shown: after this, it is read from the file (mode 0600).
      if (json) log.info({ token: token.token, file: token.file }, `admin token saved to ${token.file}; shown only this once`);
      else console.log(`Admin token (saved to ${token.file}; shown only this once):\n  ${token.token}`);
    }
    await writeRunnerFile(dataDir, { url, pid: process.pid, started_at: new Date().toISOString() });
    // The line scripts wait for (pretty) or the record they filter on (json: msg and url).
    if (json) log.info({ url }, `cosmo-runner listening on ${url}`);
    else console.log(`cosmo-runner listening on ${url}`);
    void warnUnserved(dataDir, config.store, config.clean);

    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, `${signal}: finishing in-flight requests, then stopping`);
      void stop().then(() => finish(0), (error: unknown) => {
        log.error(error);
        finish(1);
      });
    };
    process.on("SIGTERM", () => shutdown("SIGTERM"));
    process.on("SIGINT", () => shutdown("SIGINT"));

    const code = await finished;
    await removeRunnerFile(dataDir);
    process.exitCode = code;
  },
});
