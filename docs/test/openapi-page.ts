/**
 * Renders the runner's OpenAPI document as the docs page `reference/openapi.md` (tables, no
 * code blocks to test), and writes the document itself to `public/openapi.json` for download.
 * The test `openapi.test.ts` fails while the committed files differ from what this renders.
 */
import { join } from "node:path";
import { createOpenApiDocument } from "cosmo-runner";
import { docsDir } from "./pages";

type Schema = Record<string, any>;

export const OPENAPI_PAGE = join(docsDir, "reference", "openapi.md");
export const OPENAPI_JSON = join(docsDir, "public", "openapi.json");

const cell = (text: unknown) => String(text ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ");

/** A schema's type in a few words; a named schema links to its section. */
function typeOf(schema: Schema | undefined): string {
  if (!schema) return "any";
  if (schema.$ref) {
    const name = String(schema.$ref).split("/").pop() as string;
    return `[${name}](#${name.toLowerCase()})`;
  }
  if (schema.anyOf) return (schema.anyOf as Schema[]).map(typeOf).join(" \\| ");
  if (schema.enum) return (schema.enum as unknown[]).map((v) => `\`${JSON.stringify(v)}\``).join(" \\| ");
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (schema.type === "array") return `${typeOf(schema.items)}[]`;
  if (schema.type === "object" && !schema.properties) return "object";
  if (schema.type === "object") return "object (below)";
  if (schema.type === "integer" || schema.type === "number") return schema.type;
  return schema.type ? String(schema.type) : "any";
}

function limits(schema: Schema): string {
  const out: string[] = [];
  if (schema.minLength !== undefined) out.push(`at least ${schema.minLength} character(s)`);
  if (schema.maxLength !== undefined) out.push(`at most ${schema.maxLength} characters`);
  return out.length ? ` (${out.join(", ")})` : "";
}

/** A table of an object schema's properties, nested objects flattened as `parent.child`. */
function propertyRows(schema: Schema, prefix = ""): string[] {
  const required = new Set<string>(schema.required ?? []);
  const rows: string[] = [];
  for (const [name, prop] of Object.entries<Schema>(schema.properties ?? {})) {
    const field = `${prefix}${name}`;
    rows.push(`| \`${field}\` | ${typeOf(prop)} | ${required.has(name) ? "yes" : "no"} | ${cell(prop.description)}${limits(prop)} |`);
    if (prop.type === "object" && prop.properties) rows.push(...propertyRows(prop, `${field}.`));
  }
  return rows;
}

function table(schema: Schema): string[] {
  if (!schema.properties) return [`A JSON ${typeOf(schema)}.`];
  const rows = propertyRows(schema);
  const extra = schema.additionalProperties === false ? "No other fields are accepted." : "Other fields may be added in later versions.";
  return ["| Field | Type | Required | Description |", "| --- | --- | --- | --- |", ...rows, "", extra];
}

const bodyRef = (content: Schema | undefined) => content?.["application/json"]?.schema as Schema | undefined;

/** The page's Markdown. */
export function renderOpenApiPage(document: Schema = createOpenApiDocument()): string {
  const out: string[] = [
    "# OpenAPI",
    "",
    "<!-- Generated from the runner's zod schemas by `npm run docs:openapi`; do not edit by hand. -->",
    "",
    `Every runner serves its API description at \`GET /openapi.json\` (OpenAPI ${document.openapi}, version ${document.info.version} here; [download](/openapi.json)).`,
    "Point any OpenAPI tool at it (a generator, a mock server, Postman), or use the typed client that ships with the runner:",
    "`import { createRunnerClient } from \"cosmo-runner/client\"` (see [Admin API](./admin-api.md#typed-client)).",
    "",
    "The request schemas are the ones the runner validates bodies with, so a body this page refuses, the runner refuses with `422 COSMO_E_BODY_INVALID`.",
    "",
    "**Auth.** 🔒 marks an endpoint that always needs `Authorization: Bearer <token>`; the others need it when reads are guarded (see [`--read-auth`](./cli.md#start)).",
    "",
    "## Endpoints",
    "",
  ];
  for (const [path, methods] of Object.entries<Schema>(document.paths)) {
    for (const [method, op] of Object.entries<Schema>(methods)) {
      const admin = op.security?.length === 1;
      // In backticks: a heading ending in `{id}` would read as markdown-it-attrs attributes.
      out.push(`### \`${method.toUpperCase()} ${path}\``, "", `${admin ? "🔒 " : ""}${op.summary}.${op.description ? ` ${op.description}` : ""}`, "");
      for (const p of op.parameters ?? []) out.push(`- Path parameter \`${p.name}\`: ${p.description}.`);
      if (op.requestBody) {
        out.push(`- Body${op.requestBody.required ? "" : " (optional: a bare request is accepted)"}: ${typeOf(bodyRef(op.requestBody.content))}`);
      }
      for (const [status, response] of Object.entries<Schema>(op.responses)) {
        if (status === "default") continue;
        const schema = bodyRef(response.content);
        const what = Number(status) >= 400 ? `[Error](#error): ${response.description}` : `${response.description}${schema ? `: ${typeOf(schema)}` : ""}`;
        out.push(`- \`${status}\` ${what}`);
      }
      out.push("");
    }
  }
  out.push("## Schemas", "");
  for (const [name, schema] of Object.entries<Schema>(document.components.schemas)) {
    out.push(`### ${name}`, "", ...table(schema), "");
  }
  return `${out.join("\n").trimEnd()}\n`;
}

/** The document as written to public/openapi.json. */
export const renderOpenApiJson = (document: Schema = createOpenApiDocument()) => `${JSON.stringify(document, null, 2)}\n`;
