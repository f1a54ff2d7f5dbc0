import { createError, errorMessage, errorResponse as coreErrorResponse, isCosmoError, type CosmoError } from "@cosmo/core";
import { HTTPError, type H3Event } from "h3";

/** Where the runner writes what a client must not see (stacks of unexpected errors). */
export interface RunnerLogger {
  error(message: string, ...args: unknown[]): void;
}

/** A JSON response with the status given; every body the admin API sends goes through here. */
export function jsonResponse(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** The one error response: `{ error: { code, message, details } }` with the code's status. */
export function errorResponse(error: CosmoError): Response {
  const response = coreErrorResponse(error);
  // 401 tells a client which scheme to use (RFC 9110 requires the header on 401).
  if (error.code === "COSMO_E_AUTH_REQUIRED") response.headers.set("www-authenticate", 'Bearer realm="cosmo-runner"');
  return response;
}

/**
 * Turns anything a handler or h3 threw into a Cosmo error. h3 wraps foreign errors in an
 * HTTPError whose `cause` is the original, so a Cosmo error is looked for there too. h3's own
 * errors (no route, malformed URL, body over the limit) get codes of ours; anything else is a
 * bug: the stack goes to the log and the client gets COSMO_E_INTERNAL without it.
 */
export function toCosmoError(error: unknown, event: H3Event, context: { bodyLimit: number; logger: RunnerLogger }): CosmoError {
  if (isCosmoError(error)) return error;
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (isCosmoError(cause)) return cause;
  if (HTTPError.isError(error) && !error.unhandled) {
    if (error.status === 404) {
      return createError("COSMO_E_API_ROUTE_NOT_FOUND", { method: event.req.method, path: event.url.pathname });
    }
    if (error.status === 413) return createError("COSMO_E_BODY_TOO_LARGE", { limit: context.bodyLimit });
    if (error.status >= 400 && error.status < 500) {
      return createError("COSMO_E_REQUEST_INVALID", { reason: error.message, status: error.status });
    }
  }
  const original = cause instanceof Error ? cause : error;
  context.logger.error(
    `Unexpected error on ${event.req.method} ${event.url.pathname}:`,
    original instanceof Error ? (original.stack ?? original.message) : errorMessage(original),
  );
  return createError("COSMO_E_INTERNAL");
}
