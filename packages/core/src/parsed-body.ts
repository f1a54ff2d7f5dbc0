/**
 * The body of a request a framework has already parsed, turned back into bytes for a web
 * Request: what @cosmo/core/express and @cosmo/core/fastify share.
 */

/** Bytes of a parsed body: raw bytes when the framework kept them, else re-encoded per content type. */
export function encodeParsedBody(body: unknown, contentType: string | undefined, raw?: unknown): BodyInit | null {
  // The exact bytes, when a parser kept them (`verify` saving req.rawBody is a common recipe),
  // matter for webhooks that check a signature over the body.
  if (raw instanceof Uint8Array) return raw as Uint8Array<ArrayBuffer>;
  if (body === undefined || body === null) return null;
  if (body instanceof Uint8Array) return body as Uint8Array<ArrayBuffer>;
  if (typeof body === "string") return body;
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  if (type === "application/x-www-form-urlencoded" && typeof body === "object") {
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      for (const v of Array.isArray(value) ? value : [value]) form.append(key, String(v));
    }
    return form.toString();
  }
  return JSON.stringify(body);
}
