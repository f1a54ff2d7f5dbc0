/**
 * Every error Cosmo raises, in one place. Each code has an HTTP status and a message that says
 * what went wrong and how to fix it. `docs/reference/errors.md` documents each code; a test keeps
 * the two in step.
 *
 * Errors are recognised by their brand (`isCosmoError`), never by `instanceof`, so two copies of
 * @cosmo/core (a host's and a plugin's) still agree on what a Cosmo error is.
 */

/** Details travel with an error (in its JSON body too); some of them fill its message. */
type Details = Record<string, unknown>;

interface ErrorSpec {
  /** HTTP status the error maps to when it reaches a client. */
  status: number;
  /**
   * Builds the user-facing message from the error's details. Its parameter's type is the code's
   * contract: `createError` requires each key it names, so a misspelt or missing one does not compile.
   */
  message: (p: never) => string;
}

const s = (v: unknown): string => (v === undefined ? "?" : String(v));
// A clause spliced mid-sentence: a reason or summary that ends in "." would end it twice.
const c = (v: unknown): string => s(v).replace(/[.\s]+$/, "");

/** The catalogue: code -> status and message. Grouped by area; add, never rename. */
export const errorCatalog = {
  // --- manifest ---
  COSMO_E_MANIFEST_JSON: {
    status: 422,
    message: (p: { package: unknown; reason: unknown }) =>
      `${s(p.package)}: cosmo.json is not valid JSON (${c(p.reason)}). Fix the syntax; \`npx jsonlint cosmo.json\` or your editor points at the spot.`,
  },
  COSMO_E_MANIFEST_INVALID: {
    status: 422,
    message: (p: { package: unknown; summary: unknown }) =>
      `${s(p.package)}: cosmo.json is invalid: ${c(p.summary)}. Fix the field(s) named; the schema is @cosmo/core/cosmo.schema.json.`,
  },
  COSMO_E_PACKAGE_JSON: {
    status: 422,
    message: (p: { package: unknown; reason: unknown }) =>
      `${s(p.package)}: package.json is missing or not valid JSON (${c(p.reason)}). Every plugin is an npm package with a package.json beside its cosmo.json.`,
  },
  // --- discovery ---
  COSMO_E_DISCOVERY_ROOT: {
    status: 500,
    message: (p: { root: unknown; reason: unknown }) =>
      `Cannot read the plugin root ${s(p.root)} (${c(p.reason)}). Check the path exists and is a node_modules directory the host can read.`,
  },
  // --- loading ---
  COSMO_E_HOST_RANGE: {
    status: 409,
    message: (p: { plugin: unknown; range: unknown; version: unknown }) =>
      `${s(p.plugin)} supports @cosmo/core ${s(p.range)}, but this host runs ${s(p.version)}. Install a release of the plugin made for this core, or change the host's @cosmo/core.`,
  },
  COSMO_E_PLUGIN_MODULE_NOT_FOUND: {
    status: 500,
    message: (p: { plugin: unknown; module: unknown }) =>
      `${s(p.plugin)}: plugin_class points at ${s(p.module)}, which does not exist in the package. Build the plugin before packing it, or fix the module path in cosmo.json.`,
  },
  COSMO_E_PLUGIN_IMPORT_FAILED: {
    status: 500,
    message: (p: { plugin: unknown; module: unknown; reason: unknown }) =>
      `${s(p.plugin)}: importing ${s(p.module)} threw: ${c(p.reason)}. Fix the error at the top level of the plugin's module.`,
  },
  COSMO_E_PLUGIN_EXPORT_NOT_FOUND: {
    status: 500,
    message: (p: { plugin: unknown; module: unknown; export: unknown }) =>
      `${s(p.plugin)}: ${s(p.module)} has no export named "${s(p.export)}". Export it, or name an existing export in plugin_class ("<module>:<export>").`,
  },
  COSMO_E_PLUGIN_EXPORT_INVALID: {
    status: 500,
    message: (p: { plugin: unknown; export: unknown; found: unknown }) =>
      `${s(p.plugin)}: the export "${s(p.export)}" is ${s(p.found)}, not a plugin. Export a class with setup(ctx), or an object made with definePlugin({ setup }).`,
  },
  COSMO_E_PLUGIN_CONSTRUCTOR_FAILED: {
    status: 500,
    message: (p: { plugin: unknown; reason: unknown }) =>
      `${s(p.plugin)}: the plugin class constructor threw: ${c(p.reason)}. Keep constructors trivial and do start-up work in setup(ctx).`,
  },
  COSMO_E_PLUGIN_SETUP_FAILED: {
    status: 500,
    message: (p: { plugin: unknown; reason: unknown }) =>
      `${s(p.plugin)}: setup(ctx) failed: ${c(p.reason)}. The other plugins carry on; fix the plugin and reload.`,
  },
  COSMO_E_PLUGIN_SETUP_TIMEOUT: {
    status: 500,
    message: (p: { plugin: unknown; timeout: unknown }) =>
      `${s(p.plugin)}: setup(ctx) did not finish within ${s(p.timeout)} ms. Make setup return once the plugin is ready, or raise the setup timeout.`,
  },
  COSMO_E_PLUGIN_TEARDOWN_FAILED: {
    status: 500,
    message: (p: { plugin: unknown; reason: unknown }) =>
      `${s(p.plugin)}: teardown() failed: ${c(p.reason)}. The plugin was removed anyway; release its resources on ctx.signal too.`,
  },
  COSMO_E_PLUGIN_ALREADY_REGISTERED: {
    status: 409,
    message: (p: { plugin: unknown }) =>
      `A plugin named ${s(p.plugin)} is already registered. Unregister it first, or give the new one another name.`,
  },
  COSMO_E_PLUGIN_NOT_FOUND: {
    status: 404,
    message: (p: { plugin: unknown }) => `No plugin named ${s(p.plugin)} is registered. List the registered plugins to see their names.`,
  },
  COSMO_E_PREFIX_COLLISION: {
    status: 409,
    message: (p: { plugin: unknown; prefix: unknown; otherPrefix?: unknown; other: unknown }) =>
      `${s(p.plugin)} wants webhook_prefix ${s(p.prefix)}, which overlaps ${s(p.otherPrefix ?? p.prefix)} of ${s(p.other)}. Two plugins cannot share a prefix or nest one in the other: change one of them.`,
  },
  COSMO_E_PLUGIN_NAME_COLLISION: {
    status: 409,
    message: (p: { package: unknown; plugin: unknown; other: unknown }) =>
      `${s(p.package)} declares the plugin name ${s(p.plugin)}, which ${s(p.other)} already uses; ${s(p.package)} was skipped. Uninstall one of the two packages, or change the "name" in one cosmo.json.`,
  },
  COSMO_E_PLUGIN_CRASHED: {
    status: 500,
    message: (p: { plugin: unknown; fault: unknown; reason?: unknown }) =>
      `${s(p.plugin)} ${c(p.fault)}${p.reason ? `: ${c(p.reason)}` : ""}. Its fault is contained: the host keeps serving the other plugins. Report it to the plugin's author.`,
  },
  COSMO_E_PLUGIN_QUARANTINED: {
    status: 409,
    message: (p: { plugin: unknown; reason: unknown; count: unknown; at: unknown; package?: unknown }) =>
      `${s(p.plugin)} is quarantined: ${c(p.reason)} (${s(p.count)} time(s), last at ${s(p.at)}). It is not loaded until it is enabled again: fix or upgrade it, then \`cosmo-runner plugins enable ${s(p.package ?? p.plugin)} --apply\`.`,
  },
  // --- routing ---
  COSMO_E_ROUTE_INVALID: {
    status: 500,
    message: (p: { plugin: unknown; method: unknown; path: unknown; reason: unknown }) =>
      `${s(p.plugin)}: cannot register route ${s(p.method)} ${s(p.path)}: ${c(p.reason)}. Use a plain path starting with "/" (":param" segments, no dot segments), each method and path once.`,
  },
  COSMO_E_ROUTE_NO_WEBHOOKS: {
    status: 500,
    message: (p: { plugin: unknown }) =>
      `${s(p.plugin)} registered a route but its cosmo.json does not set "requires_webhooks": true with a "webhook_prefix". Add both to the manifest.`,
  },
  COSMO_E_ROUTE_NOT_FOUND: {
    status: 404,
    message: (p: { method: unknown; path: unknown }) => `No plugin route matches ${s(p.method)} ${s(p.path)}. Check the plugin is active and its webhook_prefix.`,
  },
  COSMO_E_ROUTE_HANDLER_FAILED: {
    status: 500,
    message: (p: { plugin: unknown }) =>
      `The route handler of ${s(p.plugin)} failed. The host's log has the stack; report it to the plugin's author.`,
  },
  COSMO_E_ROUTE_RESPONSE_INVALID: {
    status: 500,
    message: (p: { plugin: unknown; reason: unknown }) =>
      `The route handler of ${s(p.plugin)} returned a value that is neither a Response nor JSON-serialisable (${c(p.reason)}). Return a Response or plain data; report it to the plugin's author.`,
  },
  // --- bundler: sources and tracking ---
  COSMO_E_SPEC_INVALID: {
    status: 422,
    message: (p: { source: unknown; reason: unknown }) =>
      `"${s(p.source)}" is not a plugin source Cosmo accepts: ${c(p.reason)}. Give an npm spec (name, name@range), a tarball path or URL, or (opt-in) a git URL.`,
  },
  COSMO_E_SOURCE_FORBIDDEN: {
    status: 403,
    message: (p: { source: unknown; type: unknown; option: unknown }) =>
      `"${s(p.source)}" is a ${s(p.type)} source, which this host does not allow. Publish the plugin to a registry, or have the host opt in (${s(p.option)}).`,
  },
  COSMO_E_NOT_FOUND: {
    status: 404,
    message: (p: { source: unknown; summary: unknown }) =>
      `${s(p.source)} cannot be installed: ${c(p.summary)}. Check the name and version for typos, and that the npm config points at the registry that has the package.`,
  },
  COSMO_E_TRACKING_DUPLICATE: {
    status: 409,
    message: (p: { source: unknown; file: unknown }) => `${s(p.source)} is already in ${s(p.file)}. Remove it first to change how it is tracked.`,
  },
  COSMO_E_TRACKING_NOT_FOUND: {
    status: 404,
    message: (p: { source: unknown; file: unknown }) => `${s(p.source)} is not in ${s(p.file)}. List the tracked sources to see what is installed.`,
  },
  COSMO_E_TRACKING_LOCKED: {
    status: 503,
    message: (p: { file: unknown }) =>
      `Another process holds the lock on ${s(p.file)} and did not release it in time. Retry; if no Cosmo process is running, delete ${s(p.file)}.lock.`,
  },
  // --- bundler: host, check, sync ---
  COSMO_E_HOST_INVALID: {
    status: 500,
    message: (p: { host: unknown; reason: unknown }) => `The host at ${s(p.host)} cannot be used: ${c(p.reason)}. Point Cosmo at a directory with a valid package.json and its dependencies installed.`,
  },
  COSMO_E_CONFLICT: {
    status: 409,
    // `fix`: how the caller's own interface says it (the CLI names its commands, the API its fields).
    message: (p: { source: unknown; summary: unknown; fix?: unknown }) => `${s(p.source)} cannot be installed: ${c(p.summary)}. ${p.fix ? s(p.fix) : "See details.conflicts for each side and how to fix it."}`,
  },
  COSMO_E_RESOLVE_FAILED: {
    status: 502,
    message: (p: { reason: unknown }) => `Resolving dependencies failed: ${c(p.reason)}. Check the registry in your npm config is reachable (or use --prefer-offline).`,
  },
  COSMO_E_SYNC_FAILED: {
    status: 500,
    message: (p: { reason: unknown }) => `Installing the bundle failed: ${c(p.reason)}. The current bundle was left as it was. Fix the cause npm names, then apply again.`,
  },
  COSMO_E_NO_BUNDLE: {
    status: 404,
    message: (p: { which?: unknown; dir: unknown }) => `There is no ${s(p.which ?? "current")} bundle in ${s(p.dir)}. Run sync first.`,
  },
  COSMO_E_UPGRADE_INVALID: {
    status: 422,
    message: (p: { plugin: unknown; reason: unknown }) => `${s(p.plugin)} cannot be upgraded: ${c(p.reason)}. Nothing was changed. Give a version (1.2.0), a range (^1) or a tag; for a tarball or git plugin, uninstall it and install the new source.`,
  },
  COSMO_E_IMPORT_INVALID: {
    status: 422,
    message: (p: { file: unknown; reason: unknown }) =>
      `${s(p.file)} is not an offline bundle this runner can import: ${c(p.reason)}. Make it with \`cosmo-runner export <file.tgz>\` (or POST /plugins/export) on the runner whose plugins you want.`,
  },
  COSMO_E_INTEGRITY: {
    status: 502,
    message: (p: { package: unknown; expected: unknown; actual: unknown }) =>
      `The tarball of ${s(p.package)} does not match the integrity pinned for it: expected ${s(p.expected)}, got ${s(p.actual)}. Its bytes changed since they were pinned (a registry, mirror or cache serving other content); nothing was installed. Find out why before trusting it; to take the new bytes on purpose, uninstall and install the plugin again.`,
  },
  // --- runner ---
  COSMO_E_AUTH_REQUIRED: {
    status: 401,
    message: (p: { fix?: unknown }) =>
      `This endpoint needs the admin token. ${p.fix ? s(p.fix) : "Send `Authorization: Bearer <token>`; the token is COSMO_ADMIN_TOKEN or the file admin-token in the runner's data dir."}`,
  },
  COSMO_E_HOST_FORBIDDEN: {
    status: 403,
    message: (p: { host: unknown }) =>
      `The Host header "${s(p.host)}" is not one this runner answers to (DNS-rebinding guard). Call it as localhost/127.0.0.1/[::1], or add the host to the runner's allowed hosts.`,
  },
  COSMO_E_BODY_TOO_LARGE: {
    status: 413,
    // No limit when the host's body reader refused it without saying its own (core's router).
    message: (p: { limit?: unknown }) =>
      `The request body is larger than ${p.limit === undefined ? "this host accepts" : `${s(p.limit)} bytes`}. Send a smaller body, or raise the host's body limit.`,
  },
  COSMO_E_BODY_MALFORMED: {
    status: 400,
    message: (p: { reason: unknown }) => `The request body is not valid JSON (${c(p.reason)}). Send a JSON object with \`Content-Type: application/json\`.`,
  },
  COSMO_E_BODY_UNREADABLE: {
    status: 500,
    message: (p: { method: unknown; path: unknown }) =>
      `The body of ${s(p.method)} ${s(p.path)} was already read by another middleware (a body parser such as express.json() or fastify's), so the plugin route cannot read it. Mount the plugin routes with @cosmo/core/express or @cosmo/core/fastify, which take the parsed body, or before the body parser.`,
  },
  COSMO_E_BODY_INVALID: {
    status: 422,
    message: (p: { summary: unknown }) => `The request body is invalid: ${c(p.summary)}. Fix the field(s) named in details.issues.`,
  },
  COSMO_E_REQUEST_INVALID: {
    status: 400,
    message: (p: { reason: unknown }) => `The request could not be understood: ${c(p.reason)}. Check the URL and headers.`,
  },
  COSMO_E_API_ROUTE_NOT_FOUND: {
    status: 404,
    message: (p: { method: unknown; path: unknown }) => `The runner has no endpoint ${s(p.method)} ${s(p.path)}. See the admin API reference for the endpoints and their methods.`,
  },
  COSMO_E_RECORD_NOT_FOUND: {
    status: 404,
    message: (p: { id: unknown; fix?: unknown }) => `No plugin record has the id ${s(p.id)}. ${p.fix ? s(p.fix) : "List the plugins (GET /plugins) to see their ids."}`,
  },
  COSMO_E_RECORD_DUPLICATE: {
    status: 409,
    message: (p: { source: unknown; id: unknown }) =>
      `A plugin record with the source ${s(p.source)} already exists (id ${s(p.id)}). Use that record, or delete it first.`,
  },
  COSMO_E_STORE_UNAVAILABLE: {
    status: 503,
    message: (p: { store: unknown; reason: unknown }) =>
      `The plugin store ${s(p.store)} cannot be reached (${c(p.reason)}). Check the server is running and reachable, then retry.`,
  },
  COSMO_E_STORE_URL_INVALID: {
    status: 500,
    message: (p: { url: unknown }) =>
      `"${s(p.url)}" is not a store URL the runner knows. Leave it unset for files in the data dir, or use "memory:" or "redis://host:port[/db]".`,
  },
  COSMO_E_SET_LOCKED: {
    status: 503,
    message: (p: { lock: unknown }) =>
      `Another process is changing the plugin set and held its lock too long (${s(p.lock)}). Retry; a lock of a killed process is taken over by itself.`,
  },
  COSMO_E_SET_LOCK_LOST: {
    status: 503,
    message: (p: { lock: unknown }) =>
      `This process lost the plugin set's lock (${s(p.lock)}) before it finished, so its change was not written. Retry; if it repeats, check the store answers quickly.`,
  },
  COSMO_E_SOURCE_TIMEOUT: {
    status: 504,
    message: (p: { source: unknown; seconds: unknown }) =>
      `Checking ${s(p.source)} took longer than ${s(p.seconds)} s (the source or the registry does not answer). Check the URL is reachable, or raise COSMO_CHECK_TIMEOUT_MS.`,
  },
  COSMO_E_SOURCE_UNREACHABLE: {
    status: 502,
    message: (p: { source: unknown; reason: unknown }) =>
      `${s(p.source)} could not be fetched (${c(p.reason)}). Check the URL is right and reachable from the runner's machine, or install the plugin from a registry.`,
  },
  COSMO_E_GENERATION_SYNC_FAILED: {
    status: 500,
    message: (p: { generation: unknown; reason: unknown; serving: unknown }) =>
      `This runner cannot install generation ${s(p.generation)} of the shared plugin set (${c(p.reason)}); it keeps serving generation ${s(p.serving)}. Fix the cause (registry, disk), then POST /plugins/apply or restart it.`,
  },
  COSMO_E_ADMIN_TOKEN_INVALID: {
    status: 500,
    message: (p: { file: unknown; reason: unknown }) =>
      `The admin token file ${s(p.file)} cannot be used (${c(p.reason)}). Delete it so the runner generates a new one, or set COSMO_ADMIN_TOKEN.`,
  },
  COSMO_E_LISTEN_FAILED: {
    status: 500,
    message: (p: { host: unknown; port: unknown; reason: unknown }) =>
      `The runner cannot listen on ${s(p.host)}:${s(p.port)} (${c(p.reason)}). Pick another --port, or stop the process that holds this one.`,
  },
  COSMO_E_WORKER_START_FAILED: {
    status: 500,
    message: (p: { reason: unknown; previousServing?: unknown; rolledBack?: unknown }) =>
      `A server worker did not start (${c(p.reason)})${p.previousServing ? `; the runner keeps serving with the worker it had${p.rolledBack ? " and the bundle link was rolled back" : ""}` : ""}. The runner's log names what failed: fix or uninstall that plugin, or start with --clean to rule plugins out.`,
  },
  COSMO_E_WORKER_CRASH_LOOP: {
    status: 500,
    message: (p: { crashes: unknown; windowSeconds: unknown; reason: unknown }) =>
      `The server worker crashed ${s(p.crashes)} times within ${s(p.windowSeconds)} s (last: ${c(p.reason)}) and no plugin could be named for it. Read the log above; start with --clean to rule plugins out.`,
  },
  COSMO_E_RELOAD_UNAVAILABLE: {
    status: 409,
    message: (p: { reason: unknown }) => `This runner cannot reload now: ${c(p.reason)}. Restart the runner to serve the new bundle.`,
  },
  COSMO_E_RUNNER_ALREADY_RUNNING: {
    status: 409,
    message: (p: { dataDir: unknown; url: unknown; pid: unknown }) =>
      `A runner already serves the data dir ${s(p.dataDir)} at ${s(p.url)} (pid ${s(p.pid)}). Stop it first, or start this one with another --data-dir.`,
  },
  COSMO_E_RUNNER_UNREACHABLE: {
    status: 502,
    message: (p: { url: unknown; pid?: unknown; reason: unknown }) =>
      `The runner at ${s(p.url)}${p.pid === undefined ? "" : ` (pid ${s(p.pid)})`} did not answer (${c(p.reason)}). Check it is still running (its log says why it stopped), or stop it and start it again.`,
  },
  COSMO_E_CLI_USAGE: {
    status: 400,
    message: (p: { reason: unknown; suggestion?: unknown; program?: unknown; command?: unknown }) =>
      `${c(p.reason)}${p.suggestion ? ` (did you mean ${s(p.suggestion)}?)` : ""}. Run \`${[p.program ?? "the command", p.command].filter(Boolean).map(s).join(" ")} --help\` for the options.`,
  },
  COSMO_E_INTERNAL: {
    status: 500,
    // Sent by core inside any host as well as by the runner: the log is the host's own.
    message: () => "Cosmo hit an unexpected error. The log of the process that answered has the stack; please report it with that log.",
  },
  // --- create-cosmo-plugin (the exit code of each is the scaffolder's; status: what it would be over HTTP)
  COSMO_E_CREATE_USAGE: {
    status: 400,
    message: (p: { reason: unknown }) => `${c(p.reason)}. Run create-cosmo-plugin --help for its flags.`,
  },
  COSMO_E_CREATE_INVALID_NAME: {
    status: 422,
    message: (p: { name: unknown; problem: unknown }) => `"${s(p.name)}" is not a valid npm package name: ${c(p.problem)}. Pass another with --name.`,
  },
  COSMO_E_CREATE_INVALID_PREFIX: {
    status: 422,
    message: (p: { prefix: unknown; problem: unknown }) => `"${s(p.prefix)}" is not a valid webhook prefix: ${c(p.problem)}. Pass another with --prefix.`,
  },
  COSMO_E_CREATE_MISSING_ANSWERS: {
    status: 400,
    message: (p: { flags: unknown }) => `No terminal to ask on, and no answer given for: ${s(p.flags)}. Pass those flags, or --yes for the defaults.`,
  },
  COSMO_E_CREATE_DIR_NOT_EMPTY: {
    status: 409,
    message: (p: { dir: unknown }) =>
      `${s(p.dir)} is not empty. Choose another directory, or pass --force to write into it (files of the same names are overwritten).`,
  },
  COSMO_E_CREATE_WRITE_FAILED: {
    status: 500,
    // `fix`: when the cause is not the disk (the target is a file), what to do instead.
    message: (p: { dir: unknown; reason: unknown; fix?: unknown }) =>
      `Could not write the plugin into ${s(p.dir)}: ${c(p.reason)}. ${p.fix === undefined ? "Check the path and its permissions." : s(p.fix)}`,
  },
  COSMO_E_CREATE_CANCELLED: {
    status: 400,
    message: () => "Cancelled; nothing was written.",
  },
} satisfies Record<string, ErrorSpec>;

/** Every Cosmo error code. */
export type CosmoErrorCode = keyof typeof errorCatalog;

/**
 * The details a code's message is built from (each required key must be given), plus any other
 * details that travel with it (conflicts, issues, the text for a terminal).
 * @example const details: CosmoErrorParams<"COSMO_E_SPEC_INVALID"> = { source: "x@", reason: "it names no version" }
 */
export type CosmoErrorParams<C extends CosmoErrorCode> = (Parameters<(typeof errorCatalog)[C]["message"]> extends [infer P, ...unknown[]] ? P : {}) & Details;

/** `createError`'s arguments after the code: details may be left out only when the message needs none. */
type ErrorArgs<C extends CosmoErrorCode> = {} extends CosmoErrorParams<C>
  ? [details?: CosmoErrorParams<C>, options?: CosmoErrorOptions]
  : [details: CosmoErrorParams<C>, options?: CosmoErrorOptions];

/** The cause of an error, and a message that replaces the catalog's (a caller that words it better). */
export interface CosmoErrorOptions {
  cause?: unknown;
  message?: string;
}

const BRAND = Symbol.for("cosmo.error");

/** JSON shape of an error as every Cosmo HTTP API sends it. */
export interface CosmoErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** An error with a `COSMO_E_*` code, an HTTP status and structured details. */
export class CosmoError<C extends CosmoErrorCode = CosmoErrorCode> extends Error {
  readonly code: C;
  readonly status: number;
  readonly details: Record<string, unknown>;
  readonly [BRAND] = true;

  constructor(code: C, ...[details = {} as CosmoErrorParams<C>, options]: ErrorArgs<C>) {
    // The catalog's own types pair each code with its message's details; ErrorArgs checked them.
    const message = (errorCatalog[code] as ErrorSpec).message as (p: Details) => string;
    super(options?.message ?? message(details), options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CosmoError";
    this.code = code;
    this.status = errorCatalog[code].status;
    this.details = details;
  }

  /** The body every Cosmo HTTP API answers with (no stack: that goes to the log). */
  toJSON(): CosmoErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/** Creates a coded error. `details` fill the message template and travel with the error. */
export function createError<C extends CosmoErrorCode>(code: C, ...args: ErrorArgs<C>): CosmoError {
  return new CosmoError<C>(code, ...args);
}

/** An error as it crosses a process or the network: `toJSON().error`, with the code optional. */
export interface SerializedCosmoError {
  code?: string;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * Rebuilds a Cosmo error from its JSON (an HTTP body's `error`, an IPC message): the same code,
 * message and details. A code this copy of core does not know (a newer peer), or none, becomes
 * COSMO_E_INTERNAL with the words kept, the code it had and `context` in its details.
 * @example const error = deserializeError((await response.json()).error, { status: response.status })
 */
export function deserializeError(error: SerializedCosmoError, context: Record<string, unknown> = {}): CosmoError {
  const { code, message } = error;
  if (code !== undefined && Object.hasOwn(errorCatalog, code)) {
    // Details come from the peer that raised it, which typed them for its own copy of the catalog.
    const raise = createError as (code: CosmoErrorCode, details: Details, options: CosmoErrorOptions) => CosmoError;
    return raise(code as CosmoErrorCode, error.details ?? {}, { message });
  }
  return createError("COSMO_E_INTERNAL", { reason: message, ...(code === undefined ? {} : { code }), ...context }, { message });
}

/** True for any Cosmo error, from this copy of @cosmo/core or another (brand check, not instanceof). */
export function isCosmoError(value: unknown): value is CosmoError {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** The message of anything thrown, for error details (`reason`). */
export function errorMessage(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
