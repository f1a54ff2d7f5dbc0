/**
 * The admin API's request bodies, as validators for h3's `readValidatedBody`: JSON checked by a
 * zod schema. Read as text (`JSON_BODY`) on purpose: h3 would parse a form-encoded body (curl
 * -d's default Content-Type) as a form, while the API takes JSON whatever the Content-Type says,
 * and names what JSON.parse found wrong.
 * @example
 * const { source } = await readValidatedBody(event, jsonBody(createPluginBody), JSON_BODY)
 */
import { createError, errorMessage } from "@cosmo/core";
import type { z } from "zod";

/** One failed check in a request body, as details.issues lists them. */
export interface BodyIssue {
  /** Dotted path of the field ("source"), empty for the body itself. */
  field: string;
  message: string;
}

/** `readValidatedBody`'s options for the validators here: the raw text, parsed by them. */
export const JSON_BODY = { type: "text" } as const;

/**
 * A validator for a required JSON body: not JSON (or empty) is 400 COSMO_E_BODY_MALFORMED, JSON
 * that fails the schema is 422 COSMO_E_BODY_INVALID naming each field. (h3 wraps what a
 * validator throws in an HTTPError whose cause is our error; toCosmoError unwraps it.)
 */
export function jsonBody<S extends z.ZodType>(schema: S): (text: string | undefined) => z.output<S> {
  return (text) => {
    if (!text?.trim()) throw createError("COSMO_E_BODY_MALFORMED", { reason: "the body is empty" });
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw createError("COSMO_E_BODY_MALFORMED", { reason: errorMessage(error) });
    }
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const issues: BodyIssue[] = result.error.issues.map((issue) => ({
      field: issue.path.map(String).join("."),
      message: issue.message,
    }));
    const summary = issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join("; ");
    throw createError("COSMO_E_BODY_INVALID", { summary, field: issues[0]?.field ?? "", issues });
  };
}

/**
 * Like `jsonBody`, for endpoints whose body is optional: no body at all (a bare POST) gives
 * `fallback`; a body that is there must be JSON and pass the schema.
 */
export function optionalJsonBody<S extends z.ZodType>(schema: S, fallback: z.output<S>): (text: string | undefined) => z.output<S> {
  const required = jsonBody(schema);
  return (text) => (text ? required(text) : fallback);
}
