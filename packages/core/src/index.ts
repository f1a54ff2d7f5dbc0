// @cosmo/core: the public API. Anything not exported here is private.

// Errors
export { CosmoError, createError, deserializeError, errorCatalog, errorMessage, isCosmoError } from "./errors";
export type { CosmoErrorBody, CosmoErrorCode, CosmoErrorOptions, CosmoErrorParams, SerializedCosmoError } from "./errors";
export { redactUrl } from "./redact-url";

// Manifest
export {
  RESERVED_PREFIXES,
  isReservedPrefix,
  manifestJsonSchema,
  manifestSchema,
  parseManifest,
  parsePluginClass,
  prefixesOverlap,
  servedPrefix,
  validateManifest,
} from "./manifest";
export type { Manifest, ManifestIssue } from "./manifest";

// Plugin contract
export { definePlugin, isPluginDefinition } from "./plugin";
export type {
  Plugin,
  PluginClass,
  PluginContext,
  PluginDefinition,
  PluginLogger,
  RouteContext,
  RouteHandler,
  RouteMethod,
  RouteResult,
} from "./plugin";

// Discovery
export { discoverPlugins } from "./discovery";
export type { Diagnostic, DiscoveredPlugin, DiscoverOptions, DiscoveryResult } from "./discovery";

// Plugin service
export { PluginService } from "./service";
export { DEFAULT_SETUP_TIMEOUT } from "./lifecycle";
export { createPluginContext, createPluginLogger } from "./context";
export type { PluginContextHandle, PluginContextOptions, PluginRoute } from "./context";
export type {
  MountedRoute,
  PluginErrorInfo,
  PluginInfo,
  PluginServiceEvents,
  PluginServiceOptions,
  PluginSource,
  PluginStatus,
  RegisterOptions,
} from "./service-types";

// Attribution: which plugin's code is running
export { awaitAsPlugin, callAsPlugin, currentPlugin, observePluginCalls, runAsPlugin } from "./attribution";
export type { PluginCallObserver } from "./attribution";
export { bindPluginListeners } from "./listener-binding";

// Loading
export { coreVersion } from "./version";
export { checkHostRange, hostRangeSatisfied, instantiatePlugin, loadPlugin, loadPlugins } from "./loader";
export type { LoadOptions } from "./loader";

// Routing
export { createRouter } from "./router";
export type { CosmoRouter, RouterOptions } from "./router";
export { answerMatchedRoute, errorResponse } from "./route-answer";
export type { HostMatch } from "./route-answer";
