// @cosmo/core: the public API. Anything not exported here is private.

// Errors
export { CosmoError, createError, errorCatalog, errorMessage, isCosmoError } from "./errors";
export type { CosmoErrorBody, CosmoErrorCode } from "./errors";

// Manifest
export {
  RESERVED_PREFIXES,
  isReservedPrefix,
  manifestJsonSchema,
  manifestSchema,
  parseManifest,
  parsePluginClass,
  prefixesOverlap,
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
