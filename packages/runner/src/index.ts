// cosmo-runner: the public API, for a host that embeds the runner's admin API or a tool that
// scripts a data dir. Anything not exported here is private. Each name is documented in
// docs/reference/runner-api.md (a test keeps the two in step). The typed HTTP client is its own
// entry, `cosmo-runner/client`.

// App: the admin API as an h3 app
export { createApp, DEFAULT_BODY_LIMIT } from "./app";
export type { CreateAppOptions } from "./app";
export type { PluginOperations } from "./api/operations";

// The API described: OpenAPI 3.1 from the zod schemas the routes validate with
export { createOpenApiDocument } from "./api/openapi";
export { endpoints } from "./api/endpoints";
export type { Endpoint, EndpointAuth } from "./api/endpoints";
export * as apiSchemas from "./api/schemas";

// HTTP pieces, for hosts that mount the guards or the error shape themselves
export { authGuard, hostGuard, LOOPBACK_HOSTS } from "./http/guards";
export { errorResponse, toCosmoError } from "./http/errors";
export type { RunnerLogger } from "./http/errors";
export type { BodyIssue } from "./http/json-body";

// Store of plugin records
export { createPluginStore, resolveStoreUrl } from "./store/create";
export type { CreatePluginStoreOptions } from "./store/create";
export type { InstallStatus, NewPluginRecord, PluginRecord, PluginRecordPatch, PluginStore } from "./store/types";

// Plugin operations: what the admin API and the CLI run on a data dir
export { createOperationsContext } from "./operations/context";
export type { OperationsContext, OperationsContextOptions } from "./operations/context";
export { addPluginRecord } from "./operations/add";
export { checkSource, installPlugin, uninstallPlugin } from "./operations/install";
export type { CheckOk } from "./operations/install";
export { bundleAndSync } from "./operations/apply";
export { bundlePlugins } from "./operations/bundle";
export type { BundleSummary } from "./operations/bundle";
export { syncBundle } from "./operations/sync";
export type { SyncSummary } from "./operations/sync";
export { createReport } from "./operations/report";
export type { ReportOptions } from "./operations/report";

// Data dir and admin token
export { resolveDataDir } from "./data-dir";
export type { DataDirOptions } from "./data-dir";
export { ADMIN_TOKEN_FILE, loadAdminToken, readAdminToken } from "./token";
export type { AdminToken, AdminTokenOptions, LoadAdminTokenOptions } from "./token";

// Serving: the supervised worker (what `cosmo-runner start` runs) or one server in this process
export { Supervisor } from "./supervisor";
export type { SupervisorLogger, SupervisorOptions } from "./supervisor";
export { createWorkerServer } from "./worker/server";
export type { WorkerServer, WorkerServerOptions } from "./worker/server";
export type { PluginCounts, ReadyMessage, ReloadOptions, ReloadResult, WorkerConfig } from "./worker/messages";

// runner.json: how a tool finds the runner serving a data dir
export { readRunnerFile, RUNNER_FILE } from "./runner-file";
export type { RunnerInfo } from "./runner-file";
