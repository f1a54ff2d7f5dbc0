/**
 * The admin API's bodies as zod schemas: the request schemas are the ones the routes validate
 * with, and the response schemas describe what they send. `/openapi.json` and the typed client
 * are both generated from here, so the three never drift apart.
 */
import { z } from "zod";

/** Every named schema of the API; each becomes `#/components/schemas/<id>` in the OpenAPI document. */
export const apiSchemas = z.registry<{ id: string }>();

/** Names a schema: registered in `apiSchemas` under `id`. */
function named<T extends z.ZodType>(id: string, schema: T): T {
  apiSchemas.add(schema, { id });
  return schema;
}

// --- requests ---

/** Body of `POST /plugins`. */
export const createPluginBody = named("CreatePluginBody", z
  .object({
    source: z
      .string()
      .trim()
      .min(1, "must not be empty")
      .max(2048, "must be at most 2048 characters")
      .describe("What to install: an npm spec (name, name@range), a tarball path or URL, or (opt-in) a git URL"),
  }));

/** Optional body of install and uninstall: `{ "apply": true }` also applies (bundle, sync, reload). */
export const rpcBody = named("RpcBody", z
  .object({ apply: z.boolean().optional().describe("Then apply: bundle, sync and reload, as POST /plugins/apply does") })
  .strict());

/** Optional body of `POST /plugins/:id/upgrade`. */
export const upgradeBody = named("UpgradeBody", z
  .object({
    version: z
      .string()
      .trim()
      .min(1, "must not be empty")
      .max(256, "must be at most 256 characters")
      .optional()
      .describe("A version (downgrades too), range or tag; default: the newest version that fits"),
    apply: z.boolean().optional().describe("Then apply: bundle, sync and reload, as POST /plugins/apply does"),
  })
  .strict());

/** Optional body of `POST /plugins/reload`. */
export const reloadBody = named("ReloadBody", z
  .object({ rollbackOnFailure: z.boolean().optional().describe("Put the previous bundle back when the new worker does not start") })
  .strict());

// --- responses ---

/** One reason a plugin cannot join (a bundler Conflict): `kind` says which shape the rest has. */
export const conflictSchema = named(
  "Conflict",
  z
    .object({
      kind: z
        .string()
        .describe("peer, not-found, no-matching-version, engine, host-range, duplicate-singleton, prefix-collision, name-collision, not-a-plugin, forbidden-source, already-installed"),
      plugin: z.string().describe("The plugin the conflict is charged to"),
    })
    .loose(),
);

/** Where a plugin stands in the serving runner. */
export const pluginStatusSchema = z.enum(["loading", "active", "failed", "quarantined", "disabled", "unregistered"]);

/** Why and since when a plugin is quarantined. */
export const quarantineSchema = named("Quarantine", z
  .object({
    reason: z.string().describe("The fault, e.g. 'called process.exit: process.exit(1)'"),
    code: z.string().optional().describe("The fault's kind: exit, abort, kill, uncaught-exception, blocked-event-loop, out-of-memory, worker-died"),
    at: z.string().describe("ISO 8601 timestamp of the last fault"),
    count: z.number().int().describe("Faults attributed to it"),
  })
  .loose());

/** One plugin record. */
export const pluginRecordSchema = named("PluginRecord", z
  .object({
    id: z.string().describe("A random UUID"),
    name: z.string().describe("Display name, derived from the source"),
    source: z.string().describe("The source as recorded (a local path made absolute)"),
    install_status: z.enum(["pending", "installed", "failed"]),
    error_message: z.string().nullable().describe("Why the last install failed; null unless failed"),
    conflicts: z.array(conflictSchema).nullable().describe("The conflicts that failed the last install, as data; null when none"),
    version: z.string().nullable().describe("The exact version installed (a registry source is pinned to it in the set); null until checked"),
    integrity: z.string().nullable().describe("That version's tarball integrity as the lockfile pins it; null until checked"),
    created_at: z.string().describe("ISO 8601 timestamp"),
    updated_at: z.string().describe("ISO 8601 timestamp"),
    package: z.string().optional().describe("The package name the source was bundled as (when the runner knows it)"),
    status: pluginStatusSchema.optional().describe("How the serving runner runs it; absent when it is not in the served bundle"),
    error: z.object({ code: z.string(), message: z.string() }).loose().optional().describe("Why it failed or was quarantined"),
    quarantine: quarantineSchema.optional(),
    disabled: z.object({ at: z.string().optional() }).optional().describe("Set when a user disabled it"),
    enabled: z.boolean().optional().describe("Answer of enable/disable: whether the plugin is to be loaded"),
  }));

/** `GET /plugins`. */
export const pluginListSchema = named("PluginList", z.object({ plugins: z.array(pluginRecordSchema) }));

/** The one error shape every endpoint answers a failure with. */
export const errorBodySchema = named("Error", z
  .object({
    error: z.object({
      code: z.string().describe("A COSMO_E_* code; see the error reference"),
      message: z.string().describe("What went wrong and how to fix it"),
      details: z.record(z.string(), z.unknown()).describe("The code's structured details (conflicts, field, limit...)"),
    }),
  }));

const pluginCountsSchema = named(
  "PluginCounts",
  z.object({
    total: z.number().int(),
    active: z.number().int(),
    failed: z.number().int(),
    quarantined: z.number().int().optional().describe("Set aside after a fault (not loaded)"),
    disabled: z.number().int().optional().describe("Disabled by a user (not loaded)"),
  }),
);

/** `GET /health`. */
export const healthSchema = named("Health", z
  .object({
    status: z.literal("ok"),
    version: z.string(),
    uptime_ms: z.number(),
    store: z.string().describe("The store's kind: memory, fs, redis"),
    pid: z.number().int().optional(),
    bundle: z.string().nullable().optional().describe("The bundle the worker serves, null for none"),
    clean: z.boolean().optional(),
    plugins: pluginCountsSchema.optional(),
    generation: z
      .object({
        serving: z.string().nullable().describe("The generation of the plugin set this worker serves (null: none, or a bundle from before generations)"),
        wanted: z.string().nullable().describe("The shared set's current generation, when this runner is not serving it yet"),
        state: z.enum(["current", "syncing", "behind"]),
        error: z.object({ code: z.string(), message: z.string() }).optional().describe("Why a runner is behind (COSMO_E_GENERATION_SYNC_FAILED)"),
        fleet: z.boolean().optional().describe("false on a store of the data dir's own: no other runner to follow"),
      })
      .optional(),
  })
  .loose());

/** What a reload did (`POST /plugins/reload`, and `reload` inside an apply). */
export const reloadResultSchema = named("ReloadResult", z
  .object({
    bundle: z.string().nullable(),
    bundleId: z.string().nullable(),
    pid: z.number().int(),
    plugins: pluginCountsSchema,
    took_ms: z.number(),
    fallback: z.string().optional().describe("Set when the worker serves a fallback (last bundle that served, or none), and why"),
  })
  .loose());

/** `POST /plugins/apply`. */
export const applyResultSchema = named("ApplyResult", z
  .object({
    plugins: z.array(z.string()).describe("The sources bundled, in tracking-file order"),
    bundle: z.string().describe("The new bundle's id"),
    previous: z.string().nullable(),
    lockfile: z.string(),
    changed: z.boolean().optional().describe("False when the plugin set was unchanged: no new bundle, no reload"),
    sync_ms: z.number(),
    reload: reloadResultSchema,
    took_ms: z.number(),
    clean: z.boolean().optional(),
  })
  .loose());

/** Enable or disable: the record, where it stands, and the reload when `{ "apply": true }` was sent. */
export const toggleResultSchema = named("PluginRecordAfterToggle", pluginRecordSchema.extend({ apply: reloadResultSchema.optional() }));

/** Install or uninstall: the record, plus what apply returned when `{ "apply": true }` was sent. */
export const rpcResultSchema = named("PluginRecordAfterRpc", pluginRecordSchema.extend({ apply: applyResultSchema.optional() }));

/** A version a range passed over, and why. */
const skippedVersionSchema = named("SkippedVersion", z.object({ version: z.string(), conflicts: z.array(conflictSchema) }));

/** `POST /plugins/:id/upgrade`: the record repinned, what changed, and what apply returned when asked. */
export const upgradeResultSchema = named("UpgradeResult", pluginRecordSchema.extend({
  upgrade: z.object({
    from: z.string().nullable().describe("The version before"),
    to: z.string().describe("The version now pinned"),
    changed: z.boolean().describe("False when the plugin already was at that version"),
    skipped: z.array(skippedVersionSchema).describe("Newer versions the range matched that do not fit, and why"),
  }),
  apply: applyResultSchema.optional(),
}));

/** `GET /plugins/outdated`: each installed plugin's newer versions. */
export const outdatedSchema = named("Outdated", z.object({
  plugins: z.array(z.object({
    id: z.string(),
    name: z.string(),
    source: z.string(),
    current: z.string().nullable().describe("The version the current bundle holds"),
    fits: z.string().nullable().describe("The newest newer version that fits: what upgrade would pick"),
    newer: z.array(z.object({ version: z.string(), fits: z.boolean(), conflicts: z.array(conflictSchema) })).describe("Newest first"),
    skipped: z.string().nullable().describe("Why the plugin was not looked at (not from a registry, not applied yet)"),
  })),
}));

/** `POST /plugins/import`: what the import installed, the generation it published and the reload that serves it. */
export const importResultSchema = named("ImportResult", z
  .object({
    sources: z.array(z.string()).describe("The set now tracked, in order"),
    plugins: z.array(z.string()).describe("Package name of each plugin"),
    bundle: z.string().describe("The new bundle's id"),
    lockfile: z.string(),
    changed: z.boolean(),
    generation: z.string().describe("The generation the import made; runners sharing the store install its lockfile"),
    published: z.boolean().describe("False when a newer set's generation was already current"),
    took_ms: z.number(),
    reload: reloadResultSchema.optional(),
  })
  .loose());

/** `GET /plugins/installed`: the plugins the running worker has registered. */
export const installedSchema = named("InstalledPlugins", z
  .object({
    bundle: z.string().nullable(),
    plugins: z.array(
      z
        .object({
          name: z.string(),
          version: z.string(),
          package: z.string().optional(),
          status: pluginStatusSchema,
          prefix: z.string().optional(),
          routes: z.array(z.unknown()),
          error: z.object({ code: z.string(), message: z.string() }).loose().optional(),
          quarantine: quarantineSchema.optional(),
        })
        .loose(),
    ),
    skipped: z.array(z.object({ package: z.string().optional(), code: z.string(), message: z.string() }).loose()),
  })
  .loose());

/** `GET /plugins/report`: lockfile, tracking file, records, versions. */
export const reportSchema = named("Report", z
  .object({
    generated_at: z.string(),
    versions: z.object({ node: z.string(), npm: z.string().nullable(), cosmo: z.record(z.string(), z.string().nullable()) }).loose(),
    platform: z.string(),
    data_dir: z.string(),
    store: z.string(),
    tracking: z.object({ file: z.string(), sources: z.array(z.string()), text: z.string() }).loose(),
    records: z.array(pluginRecordSchema),
    bundle: z.object({ id: z.string(), path: z.string() }).nullable(),
    lockfile: z.unknown().describe("The bundle's package-lock.json, or null"),
  })
  .loose());

/** `GET /openapi.json`: this document. */
export const openApiDocumentSchema = named("OpenApiDocument", z.record(z.string(), z.unknown()));

/** Types of the bodies, for the typed client. */
export type PluginRecordBody = z.infer<typeof pluginRecordSchema>;
export type PluginListBody = z.infer<typeof pluginListSchema>;
export type HealthBody = z.infer<typeof healthSchema>;
export type ApplyResultBody = z.infer<typeof applyResultSchema>;
export type RpcResultBody = z.infer<typeof rpcResultSchema>;
export type ReloadResultBody = z.infer<typeof reloadResultSchema>;
export type InstalledBody = z.infer<typeof installedSchema>;
export type ReportBody = z.infer<typeof reportSchema>;
export type UpgradeResultBody = z.infer<typeof upgradeResultSchema>;
export type OutdatedBody = z.infer<typeof outdatedSchema>;
export type ImportResultBody = z.infer<typeof importResultSchema>;
export type ErrorBody = z.infer<typeof errorBodySchema>;
