/**
 * `@cosmo/core/fastify`: the plugin routes as a Fastify plugin. Fastify parses bodies before a
 * handler runs, so the plugin takes each body as Fastify hands it over: inside its own
 * encapsulated context every content type is read as bytes (the plugin's `req.json()`,
 * `req.text()`, `req.formData()` see exactly what was sent); a body some other parser turned
 * into an object is re-encoded. Needs no Fastify import: it uses the instance it is given.
 */
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { failureError, toWebRequest, type FetchHandler } from "./node";
import { encodeParsedBody } from "./parsed-body";

/** The parts of a Fastify instance the plugin uses (any Fastify 4 or 5 has them). */
export interface FastifyLike {
  removeAllContentTypeParsers(): void;
  addContentTypeParser(
    type: string,
    options: { parseAs: "buffer" },
    parser: (request: unknown, body: Buffer, done: (error: Error | null, body?: unknown) => void) => void,
  ): void;
  route(options: { method: string[]; url: string; handler: (request: FastifyRequestLike, reply: FastifyReplyLike) => unknown }): unknown;
}

/** The parts of a Fastify request the plugin reads. */
export interface FastifyRequestLike {
  raw: IncomingMessage;
  body?: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** The parts of a Fastify reply the plugin writes. */
export interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  header(name: string, value: unknown): FastifyReplyLike;
  send(payload?: unknown): unknown;
}

/** Options of the Fastify plugin. */
export interface CosmoFastifyOptions {
  /** The plugin routes: a router (createRouter) or its fetch. */
  router: FetchHandler | { fetch: FetchHandler };
  /** Fastify's own option: register under a prefix (plugin routes keep their full paths). */
  prefix?: string;
}

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/**
 * The Fastify plugin: one catch-all route (Fastify's own routes still win, being more
 * specific) that hands each request to the plugin routes.
 * @example
 * await app.register(cosmoFastify, { router: createRouter(service) })
 */
export async function cosmoFastify(fastify: FastifyLike, options: CosmoFastifyOptions): Promise<void> {
  const fetch = typeof options.router === "function" ? options.router : options.router.fetch.bind(options.router);
  // This plugin's context only (Fastify encapsulates it): bytes in, so nothing is re-encoded.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));

  fastify.route({
    method: METHODS,
    url: "/*",
    handler: async (request, reply) => {
      let response: Response;
      try {
        const body = encodeParsedBody(request.body, request.headers["content-type"] as string | undefined);
        response = await fetch(toWebRequest(request.raw, { body }));
      } catch (error) {
        const coded = failureError(error);
        if (coded.code === "COSMO_E_INTERNAL") throw error; // Fastify's error handler logs it
        return reply.code(coded.status).header("content-type", "application/json").send(JSON.stringify(coded.toJSON()));
      }
      reply.code(response.status);
      const cookies = response.headers.getSetCookie();
      if (cookies.length > 0) reply.header("set-cookie", cookies);
      response.headers.forEach((value, name) => {
        if (name !== "set-cookie" && name !== "content-length") reply.header(name, value);
      });
      if (!response.body || request.raw.method === "HEAD") {
        await response.body?.cancel();
        return reply.send();
      }
      // Streamed, not buffered: a plugin's server-sent events reach the client as they are sent.
      return reply.send(Readable.fromWeb(response.body as import("node:stream/web").ReadableStream));
    },
  });
}

// Registered as is (not through fastify-plugin), the plugin is encapsulated: the content-type
// parsers above apply to its route alone, never to the host's.
export default cosmoFastify;
