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
 * The Cosmo error h3 wrapped: a foreign error becomes an HTTPError whose `cause` is the original;
 * what a body validator throws sits one level deeper (the cause of the details h3 keeps as cause).
 */
function wrappedCosmoError(error: unknown): CosmoError | undefined {
  let cause = (error as { cause?: unknown } | null)?.cause;
  for (let depth = 0; depth < 2; depth++) {
    if (isCosmoError(cause)) return cause;
    cause = (cause as { cause?: unknown } | null | undefined)?.cause;
  }
  return undefined;
}

/**
 * Turns anything a handler or h3 threw into a Cosmo error, looking through h3's wrapping (see
 * wrappedCosmoError). h3's own errors (no route, malformed URL, body over the limit) get codes
 * of ours; anything else is a bug: the stack goes to the log and the client gets
 * COSMO_E_INTERNAL without it.
 */
export function toCosmoError(error: unknown, event: H3Event, context: { bodyLimit: number; logger: RunnerLogger }): CosmoError {
  if (isCosmoError(error)) return error;
  const wrapped = wrappedCosmoError(error);
  if (wrapped) return wrapped;
  if (HTTPError.isError(error) && !error.unhandled) {
    if (error.status === 404) {
      return createError("COSMO_E_API_ROUTE_NOT_FOUND", { method: event.req.method, path: event.url.pathname });
    }
    if (error.status === 413) return createError("COSMO_E_BODY_TOO_LARGE", { limit: context.bodyLimit });
    if (error.status >= 400 && error.status < 500) {
      return createError("COSMO_E_REQUEST_INVALID", { reason: error.message, status: error.status });
    }
  }
  const cause = (error as { cause?: unknown } | null)?.cause;
  const original = cause instanceof Error ? cause : error;
  context.logger.error(
    `Unexpected error on ${event.req.method} ${event.url.pathname}:`,
    original instanceof Error ? (original.stack ?? original.message) : errorMessage(original),
  );
  return createError("COSMO_E_INTERNAL");
}
