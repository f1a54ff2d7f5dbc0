// @cosmo/bundler: the public API. Anything not exported here is private.

// Tracking file
export { addTracked, listTracked, normalizeSource, readTracked, removeTracked, trackingFile } from "./tracking";
export type { TrackedFile, TrackingOptions } from "./tracking";
export type { LockOptions } from "./lock";

// npm config
export { loadNpmConfig } from "./npm-config";
export type { LoadNpmConfigOptions } from "./npm-config";

// Sync and bundle dirs
export { rollback, sync } from "./sync";
export type { BundleLocation, RollbackOptions, SyncOptions, SyncResult } from "./sync";
export { bundleLayout, currentBundle, defaultBundleDir } from "./bundle-dirs";
export type { BundleLayout } from "./bundle-dirs";
