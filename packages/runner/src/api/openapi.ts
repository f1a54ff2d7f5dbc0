/**
 * The OpenAPI 3.1 document of the runner's HTTP API, built from `endpoints` and the zod schemas
 * the routes validate with (zod's own JSON Schema output, draft 2020-12, which OpenAPI 3.1 uses
 * as is).
 */
import { errorCatalog } from "@cosmo/core";
import { z } from "zod";
// Named import: tsup inlines just the version, not the whole manifest.
import { version } from "../../package.json";
import { endpoints, type Endpoint } from "./endpoints";
import { apiSchemas, errorBodySchema } from "./schemas";

type Json = Record<string, unknown>;

const COMPONENTS = "#/components/schemas/";

/** A `$ref` to a named schema; every schema an endpoint uses is named in `apiSchemas`. */
function ref(schema: z.ZodType): Json {
  const id = apiSchemas.get(schema)?.id;
  if (!id) throw new Error("openapi: an endpoint uses a schema that is not named in api/schemas.ts (wrap it in named())");
  return { $ref: `${COMPONENTS}${id}` };
}

const json = (schema: z.ZodType) => ({ "application/json": { schema: ref(schema) } });

// What a client that sends `Accept: text/event-stream` gets from the long operations (http/sse.ts).
const eventStream = {
  "text/event-stream": {
    schema: {
      type: "string",
      description:
        "Server-sent events: `progress` ({ phase: check | bundle | sync | reload, state: start | progress | done, message, took_ms?, plugins?, packages?, fetched? }) as each phase starts and ends, then one `result` (the JSON body of the plain answer) or one `error` ({ status, error: { code, message, details } }).",
    },
  },
};

/** The statuses an endpoint's known errors answer with, each with its codes. */
function errorResponses(endpoint: Endpoint): Json {
  const codes = [
    ...(endpoint.auth === "admin" ? ["COSMO_E_AUTH_REQUIRED"] : []),
    ...(endpoint.body ? ["COSMO_E_BODY_MALFORMED", "COSMO_E_BODY_INVALID", "COSMO_E_BODY_TOO_LARGE"] : []),
    ...(endpoint.errors ?? []),
  ];
  const byStatus = new Map<number, Set<string>>();
  for (const code of codes) {
    const status = (errorCatalog as Record<string, { status: number } | undefined>)[code]?.status;
    if (status === undefined) throw new Error(`openapi: ${endpoint.operationId} names an unknown error code ${code}`);
    byStatus.set(status, (byStatus.get(status) ?? new Set()).add(code));
  }
  const out: Json = {};
  for (const [status, set] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[String(status)] = { description: [...set].join(", "), content: json(errorBodySchema) };
  }
  return out;
}

function operation(endpoint: Endpoint): Json {
  const params = [...endpoint.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: "path",
    required: true,
    schema: { type: "string" },
    description: "The plugin record's id",
  }));
  return {
    operationId: endpoint.operationId,
    summary: endpoint.summary,
    ...(endpoint.description ? { description: endpoint.description } : {}),
    tags: [endpoint.path.startsWith("/plugins") ? "plugins" : endpoint.path.startsWith("/_cosmo") ? "page" : "runner"],
    // Reads: the token is needed only when the runner guards reads (--read-auth); `{}` = none.
    security: endpoint.auth === "admin" ? [{ adminToken: [] }] : endpoint.auth === "read" ? [{ adminToken: [] }, {}] : [],
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(endpoint.body ? { requestBody: { required: !endpoint.body.optional, content: json(endpoint.body.schema) } } : {}),
    responses: {
      [String(endpoint.success.status)]: {
        description: endpoint.success.description,
        ...(endpoint.success.mediaType
          ? { content: { [endpoint.success.mediaType]: { schema: { type: "string" } } } }
          : endpoint.success.schema
            ? { content: { ...json(endpoint.success.schema), ...(endpoint.streams ? eventStream : {}) } }
            : {}),
      },
      ...errorResponses(endpoint),
      default: { description: "Any other failure, as a COSMO_E_* error", content: json(errorBodySchema) },
    },
  };
}

/** The named schemas as OpenAPI components, without the per-schema `$schema`/`$id` zod adds. */
function components(): Json {
  const { schemas } = z.toJSONSchema(apiSchemas, { target: "draft-2020-12", uri: (id) => `${COMPONENTS}${id}` }) as { schemas: Record<string, Json> };
  const out: Json = {};
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _schema, $id: _id, ...rest } = schema;
    out[id] = rest;
  }
  return out;
}

let cached: Json | undefined;

/**
 * The OpenAPI 3.1 document (built once per process).
 * @example writeFileSync("openapi.json", JSON.stringify(createOpenApiDocument(), null, 2))
 */
export function createOpenApiDocument(): Json {
  if (cached) return cached;
  const paths: Record<string, Json> = {};
  for (const endpoint of endpoints) (paths[endpoint.path] ??= {})[endpoint.method] = operation(endpoint);
  cached = {
    openapi: "3.1.0",
    info: {
      title: "cosmo-runner admin API",
      version,
      description:
        "Manage the plugins of a Cosmo runner: record a source, check and install it, apply (bundle, sync, reload). Every error is `{ error: { code, message, details } }` with a COSMO_E_* code.",
      license: { name: "MIT", identifier: "MIT" },
    },
    servers: [{ url: "http://127.0.0.1:3000", description: "A runner started with the defaults" }],
    tags: [
      { name: "runner", description: "The runner itself" },
      { name: "plugins", description: "Plugin records and their install, apply and report" },
      { name: "page", description: "The plugin manager page's files" },
    ],
    paths,
    components: {
      schemas: components(),
      securitySchemes: {
        adminToken: {
          type: "http",
          scheme: "bearer",
          description: "The admin token: COSMO_ADMIN_TOKEN, or the file admin-token in the runner's data dir",
        },
      },
    },
  };
  return cached;
}
