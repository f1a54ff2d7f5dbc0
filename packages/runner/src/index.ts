// cosmo-runner: the public API. Anything not exported here is private.

// App (the admin API)
export { createApp, DEFAULT_BODY_LIMIT } from "./app";
export type { CreateAppOptions } from "./app";
export type { PluginOperations } from "./api/operations";
export { deriveName } from "./source-name";

// The API described: OpenAPI 3.1 from the zod schemas the routes validate with (the typed
// client is its own entry, cosmo-runner/client)
export { createOpenApiDocument } from "./api/openapi";
export { endpoints } from "./api/endpoints";
export type { Endpoint, EndpointAuth } from "./api/endpoints";
export * as apiSchemas from "./api/schemas";

// HTTP pieces, for hosts that mount the guards or the error shape themselves
export { authGuard, hostGuard, LOOPBACK_HOSTS } from "./http/guards";
export { errorResponse, toCosmoError } from "./http/errors";
export type { RunnerLogger } from "./http/errors";
export type { BodyIssue } from "./http/json-body";

// Store
export { createPluginStore, resolveStoreUrl } from "./store/create";
export type { CreatePluginStoreOptions } from "./store/create";
export { createUnstoragePluginStore } from "./store/unstorage-store";
export { fsAtomicDriver } from "./store/drivers/fs-atomic";
export type { FsAtomicOptions } from "./store/drivers/fs-atomic";
export type { InstallStatus, NewPluginRecord, PluginRecord, PluginRecordPatch, PluginStore } from "./store/types";

// Plugin operations: what the admin API and the CLI run on a data dir
export { createOperationsContext } from "./operations/context";
export type { OperationsContext, OperationsContextOptions } from "./operations/context";
export { addPluginRecord } from "./operations/add";
export { checkSource, conflictError, installPlugin, uninstallPlugin } from "./operations/install";
export type { CheckOk } from "./operations/install";
export { bundleAndSync } from "./operations/apply";
export { bundlePlugins } from "./operations/bundle";
export type { BundleSummary } from "./operations/bundle";
export { syncBundle } from "./operations/sync";
export type { SyncSummary } from "./operations/sync";
export { createReport, getNpmVersion } from "./operations/report";
export { runnerPackageDir } from "./operations/host";

// Data dir and admin token
export { resolveDataDir } from "./data-dir";
export type { DataDirOptions } from "./data-dir";
export { ADMIN_TOKEN_FILE, loadAdminToken, readAdminToken, tokensEqual } from "./token";
export type { AdminToken, AdminTokenOptions } from "./token";

// Server worker, supervisor and reload (what `cosmo-runner start` runs)
export { Supervisor } from "./supervisor";
export type { SupervisorLogger, SupervisorOptions } from "./supervisor";
export { createWorkerServer } from "./worker/server";
export type { WorkerServer, WorkerServerOptions } from "./worker/server";
export { createWorkerApp } from "./worker/app";
export type { WorkerApp, WorkerAppOptions } from "./worker/app";
export { bundleToLoad } from "./bundle-to-load";
export { countPlugins, installedPlugins, loadBundle } from "./worker/plugins";
export type { LoadedBundle } from "./worker/plugins";
export { listenNode } from "./worker/listen";
export type { ListeningServer } from "./worker/listen";
export { workerOperations } from "./worker/operations";
export type { WorkerContext } from "./worker/operations";
export type { PluginCounts, ReadyMessage, ReloadOptions, ReloadResult, WorkerConfig } from "./worker/messages";

// runner.json: how other CLI commands find a running runner
export { readRunnerFile, removeRunnerFile, RUNNER_FILE, writeRunnerFile } from "./runner-file";
export type { RunnerInfo } from "./runner-file";
