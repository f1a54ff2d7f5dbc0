// @cosmo/bundler: the public API. Anything not exported here is private.

// Tracking file
export { addTracked, listTracked, normalizeSource, readTracked, removeTracked, replaceTracked, trackingFile, writeTrackedSources } from "./tracking";
export type { TrackedFile, TrackingOptions, WriteTrackedOptions } from "./tracking";
export { withLock, LockTimeoutError } from "./lock";
export type { LockOptions } from "./lock";

// npm config
export { loadNpmConfig } from "./npm-config";
export type { LoadNpmConfigOptions } from "./npm-config";

// Sync and bundle dirs
export { activateBundle, rollback, sync } from "./sync";
export { preloadInstaller } from "./npm-libs";
export type { ActivateBundleOptions, BundleLocation, RollbackOptions, SyncOptions, SyncResult } from "./sync";
export { lockDifference, lockedPackages, syncLockfile } from "./sync-lockfile";
export type { SyncLockfileOptions } from "./sync-lockfile";
export { bundleLayout, currentBundle, defaultBundleDir } from "./bundle-dirs";
export type { BundleLayout } from "./bundle-dirs";

// Sources
export { packDirectory, parseSource, resolveSources, sourceSpec } from "./source";
export type { ResolvedSource, Source, SourcePolicy, SourceType } from "./source";
export type { NpmOptions } from "./npm-options";

// Bundled manifest
export { BUNDLED_MANIFEST, createBundle, createBundledManifest, writeBundledManifest } from "./bundle";
export type { Bundle, BundledManifest, BundleOptions } from "./bundle";
export { readHost } from "./host";
export type { HostInfo, HostPackage } from "./host";

// Conflict check
export { check, createChecker } from "./check";
export type { CheckedPlugin, CheckRequest, CheckResult, Checker, CheckerOptions, NewerVersion, NewerVersionsRequest } from "./check";
export { candidateVersions } from "./versions";
export type { Packument, PackumentVersion, SkippedVersion } from "./versions";
export { integrityError } from "./integrity";
export { conflictMessage, explainConflict, renderConflicts, renderSkipped } from "./conflicts";
export type {
  AlreadyInstalledConflict,
  Conflict,
  ConflictExplanation,
  ConflictKind,
  DuplicateSingletonConflict,
  EngineConflict,
  ForbiddenSourceConflict,
  Holder,
  HostRangeConflict,
  NameCollisionConflict,
  NoMatchingVersionConflict,
  NotAPluginConflict,
  NotAPluginProblem,
  NotFoundConflict,
  PeerConflict,
  PrefixCollisionConflict,
} from "./conflicts";

// Offline bundles
export { exportBundle, exportBundleStream, importBundle, OFFLINE_BUNDLE_FORMAT } from "./offline-bundle";
export type { ExportBundleOptions, ImportBundleOptions, ImportedBundle, OfflineBundleMeta, OfflineTarball } from "./offline-bundle";
