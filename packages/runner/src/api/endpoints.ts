/**
 * Every endpoint of the runner's HTTP API, described once: `/openapi.json` is built from this
 * list, and a test compares it with the routes the apps register, so a route added without an
 * entry here fails the suite. Adding an endpoint = its route + one entry below (with its body
 * and answer schemas from ./schemas).
 */
import type { z } from "zod";
import {
  applyResultSchema,
  createPluginBody,
  healthSchema,
  importResultSchema,
  installedSchema,
  openApiDocumentSchema,
  pluginListSchema,
  pluginRecordSchema,
  reloadBody,
  reloadResultSchema,
  reportSchema,
  rpcBody,
  rpcResultSchema,
  toggleResultSchema,
  outdatedSchema,
  upgradeBody,
  upgradeResultSchema,
} from "./schemas";

/**
 * Who may call an endpoint: `admin` always needs the token; `read` needs it when reads are guarded
 * (see --read-auth); `public` never does (the manager page's own files: a browser loads them
 * before it has a token, and they hold no data).
 */
export type EndpointAuth = "admin" | "read" | "public";

/** One endpoint: what it takes, what it answers, which errors it is known for. */
export interface Endpoint {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** OpenAPI path, parameters in braces: `/plugins/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  auth: EndpointAuth;
  /** The request body; `optional` when a bare request is accepted too. */
  body?: { schema: z.ZodType; optional?: boolean };
  /** The success status and its body (none for 204); `mediaType` for a body that is not JSON (the page's files). */
  success: { status: number; schema?: z.ZodType; mediaType?: string; description: string };
  /** True when the endpoint also answers `text/event-stream` progress to `Accept: text/event-stream` (http/sse.ts). */
  streams?: boolean;
  /** The error codes worth naming for this endpoint (every endpoint may also answer the guards' errors). */
  errors?: string[];
}

/** The API's endpoints, in the order the docs list them. */
export const endpoints: readonly Endpoint[] = [
  {
    method: "get",
    path: "/health",
    operationId: "health",
    summary: "Liveness, version, store and the served bundle",
    auth: "read",
    success: { status: 200, schema: healthSchema, description: "The runner is up" },
  },
  {
    method: "get",
    path: "/openapi.json",
    operationId: "openapi",
    summary: "This API description (OpenAPI 3.1)",
    auth: "read",
    success: { status: 200, schema: openApiDocumentSchema, description: "The OpenAPI document" },
  },
  {
    method: "get",
    path: "/plugins",
    operationId: "listPlugins",
    summary: "List the plugin records",
    auth: "read",
    success: { status: 200, schema: pluginListSchema, description: "Every record, oldest first" },
  },
  {
    method: "post",
    path: "/plugins",
    operationId: "addPlugin",
    summary: "Record a plugin source (pending)",
    description: "Nothing is checked or installed yet: install the record next.",
    auth: "admin",
    body: { schema: createPluginBody },
    success: { status: 201, schema: pluginRecordSchema, description: "The new record; Location names it" },
    errors: ["COSMO_E_SPEC_INVALID", "COSMO_E_RECORD_DUPLICATE", "COSMO_E_BODY_INVALID", "COSMO_E_BODY_MALFORMED"],
  },
  {
    method: "get",
    path: "/plugins/installed",
    operationId: "installedPlugins",
    summary: "The plugins the running server has registered, with their routes",
    auth: "read",
    success: { status: 200, schema: installedSchema, description: "Registered plugins and what discovery skipped" },
  },
  {
    method: "get",
    path: "/plugins/report",
    operationId: "report",
    summary: "A bug report: lockfile, tracking file, records, versions",
    auth: "read",
    success: { status: 200, schema: reportSchema, description: "The report" },
  },
  {
    method: "post",
    path: "/plugins/apply",
    operationId: "apply",
    summary: "Bundle, sync and reload onto the installed plugins",
    description: "Answers once the new worker serves the new bundle; on failure the old worker keeps serving.",
    auth: "admin",
    success: { status: 200, schema: applyResultSchema, description: "The new bundle serves" },
    streams: true,
    errors: ["COSMO_E_RESOLVE_FAILED", "COSMO_E_SYNC_FAILED", "COSMO_E_WORKER_START_FAILED", "COSMO_E_RELOAD_UNAVAILABLE"],
  },
  {
    method: "get",
    path: "/plugins/outdated",
    operationId: "outdatedPlugins",
    summary: "Each installed plugin's newer versions: which fit, and why the others do not",
    auth: "read",
    success: { status: 200, schema: outdatedSchema, description: "The installed plugins, each with its newer versions" },
    errors: ["COSMO_E_RESOLVE_FAILED"],
  },
  {
    method: "post",
    path: "/plugins/export",
    operationId: "exportPlugins",
    summary: "The plugin set as an offline bundle (.tgz): set, lockfile and every tarball",
    description: "`cosmo-runner import <file.tgz>` installs it on a machine with no registry.",
    auth: "admin",
    success: { status: 200, description: "The archive (application/gzip)" },
    errors: ["COSMO_E_NO_BUNDLE", "COSMO_E_INTEGRITY", "COSMO_E_RESOLVE_FAILED"],
  },
  {
    method: "post",
    path: "/plugins/import",
    operationId: "importPlugins",
    summary: "Install an offline bundle (.tgz, the request body as application/gzip) offline, serve it, and publish it as the set's generation",
    description:
      "The body is the archive `cosmo-runner export` or `POST /plugins/export` made (up to 512 MiB). Tarballs are checked against their pinned integrity and nothing is asked of a registry; the set becomes the archive's. Runners sharing the store follow the generation.",
    auth: "admin",
    success: { status: 200, schema: importResultSchema, description: "The imported set serves" },
    errors: ["COSMO_E_IMPORT_INVALID", "COSMO_E_INTEGRITY", "COSMO_E_SYNC_FAILED", "COSMO_E_WORKER_START_FAILED", "COSMO_E_BODY_TOO_LARGE"],
  },
  {
    method: "post",
    path: "/plugins/reload",
    operationId: "reload",
    summary: "Reload onto the current bundle (after a `cosmo-runner sync`)",
    auth: "admin",
    body: { schema: reloadBody, optional: true },
    success: { status: 200, schema: reloadResultSchema, description: "The new worker serves" },
    errors: ["COSMO_E_WORKER_START_FAILED", "COSMO_E_RELOAD_UNAVAILABLE"],
  },
  {
    method: "get",
    path: "/plugins/{id}",
    operationId: "getPlugin",
    summary: "One plugin record",
    auth: "read",
    success: { status: 200, schema: pluginRecordSchema, description: "The record" },
    errors: ["COSMO_E_RECORD_NOT_FOUND"],
  },
  {
    method: "delete",
    path: "/plugins/{id}",
    operationId: "removePlugin",
    summary: "Delete a record (uninstalling it first when installed)",
    auth: "admin",
    success: { status: 204, description: "Deleted" },
    errors: ["COSMO_E_RECORD_NOT_FOUND"],
  },
  {
    method: "post",
    path: "/plugins/{id}/install",
    operationId: "installPlugin",
    summary: "Check the plugin for conflicts and track it",
    description: "A conflict answers 409 COSMO_E_CONFLICT (404 COSMO_E_NOT_FOUND for a package or version the registry lacks, 403 COSMO_E_SOURCE_FORBIDDEN for a refused source) with details.conflicts, and leaves the record failed.",
    auth: "admin",
    body: { schema: rpcBody, optional: true },
    success: { status: 200, schema: rpcResultSchema, description: "The record, installed" },
    streams: true,
    errors: ["COSMO_E_RECORD_NOT_FOUND", "COSMO_E_CONFLICT", "COSMO_E_NOT_FOUND", "COSMO_E_SOURCE_FORBIDDEN"],
  },
  {
    method: "post",
    path: "/plugins/{id}/uninstall",
    operationId: "uninstallPlugin",
    summary: "Stop tracking the plugin (the record goes back to pending)",
    auth: "admin",
    body: { schema: rpcBody, optional: true },
    success: { status: 200, schema: rpcResultSchema, description: "The record, pending" },
    streams: true,
    errors: ["COSMO_E_RECORD_NOT_FOUND"],
  },
  {
    method: "get",
    path: "/_cosmo",
    operationId: "managerPage",
    summary: "The plugin manager page (HTML)",
    description: "`/_cosmo` redirects to `/_cosmo/`, which answers the page. It shows nothing until the user gives the admin token.",
    auth: "public",
    success: { status: 200, mediaType: "text/html", description: "The page" },
  },
  {
    method: "get",
    path: "/_cosmo/app.js",
    operationId: "managerPageScript",
    summary: "The manager page's script",
    auth: "public",
    success: { status: 200, mediaType: "text/javascript", description: "The script" },
  },
  {
    method: "get",
    path: "/_cosmo/style.css",
    operationId: "managerPageStyle",
    summary: "The manager page's style sheet",
    auth: "public",
    success: { status: 200, mediaType: "text/css", description: "The style sheet" },
  },
  {
    method: "post",
    path: "/plugins/{id}/disable",
    operationId: "disablePlugin",
    summary: "Stop loading the plugin; it stays tracked and bundled",
    description: "Stored in the data dir, so it holds across restarts. Takes effect at the next reload; `{ \"apply\": true }` reloads now.",
    auth: "admin",
    body: { schema: rpcBody, optional: true },
    success: { status: 200, schema: toggleResultSchema, description: "The record, disabled" },
    errors: ["COSMO_E_RECORD_NOT_FOUND", "COSMO_E_RELOAD_UNAVAILABLE"],
  },
  {
    method: "post",
    path: "/plugins/{id}/enable",
    operationId: "enablePlugin",
    summary: "Load the plugin again (also lifts a quarantine)",
    description: "Takes effect at the next reload; `{ \"apply\": true }` reloads now.",
    auth: "admin",
    body: { schema: rpcBody, optional: true },
    success: { status: 200, schema: toggleResultSchema, description: "The record, enabled" },
    errors: ["COSMO_E_RECORD_NOT_FOUND", "COSMO_E_RELOAD_UNAVAILABLE"],
  },
  {
    method: "post",
    path: "/plugins/{id}/upgrade",
    operationId: "upgradePlugin",
    summary: "Move an installed plugin to another version (default: the newest that fits)",
    description:
      "The new version is checked against the set without the old one, then replaces it in one step. A conflict answers 409 COSMO_E_CONFLICT and changes nothing.",
    auth: "admin",
    body: { schema: upgradeBody, optional: true },
    success: { status: 200, schema: upgradeResultSchema, description: "The record, pinned to its new version" },
    streams: true,
    errors: ["COSMO_E_RECORD_NOT_FOUND", "COSMO_E_CONFLICT", "COSMO_E_UPGRADE_INVALID"],
  },
];
