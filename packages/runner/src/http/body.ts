import { createError, errorMessage } from "@cosmo/core";
import { HTTPError, type H3Event } from "h3";
import type { z } from "zod";

/** One failed check in a request body, as details.issues lists them. */
export interface BodyIssue {
  /** Dotted path of the field ("source"), empty for the body itself. */
  field: string;
  message: string;
}

/**
 * Reads a JSON body and validates it: not JSON (or empty) is 400 COSMO_E_BODY_MALFORMED, JSON
 * that fails the schema is 422 COSMO_E_BODY_INVALID naming each field.
 */
export async function readValidatedJson<S extends z.ZodType>(event: H3Event, schema: S): Promise<z.output<S>> {
  let text: string;
  try {
    text = await event.req.text();
  } catch (error) {
    // The body limit fires while the stream is read; let the error handler map that 413.
    if (HTTPError.isError(error)) throw error;
    throw createError("COSMO_E_BODY_MALFORMED", { reason: errorMessage(error) }, { cause: error });
  }
  if (!text.trim()) throw createError("COSMO_E_BODY_MALFORMED", { reason: "the body is empty" });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw createError("COSMO_E_BODY_MALFORMED", { reason: errorMessage(error) });
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues: BodyIssue[] = result.error.issues.map((issue) => ({
      field: issue.path.map(String).join("."),
      message: issue.message,
    }));
    const summary = issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join("; ");
    throw createError("COSMO_E_BODY_INVALID", { summary, field: issues[0]?.field ?? "", issues });
  }
  return result.data;
}

/**
 * Like `readValidatedJson`, for endpoints whose body is optional: no body at all (a bare POST)
 * gives `fallback`; a body that is there must be JSON and pass the schema.
 */
export async function readOptionalJson<S extends z.ZodType>(event: H3Event, schema: S, fallback: z.output<S>): Promise<z.output<S>> {
  const headers = event.req.headers;
  const hasBody = Number(headers.get("content-length") ?? 0) > 0 || headers.has("transfer-encoding");
  return hasBody ? readValidatedJson(event, schema) : fallback;
}
