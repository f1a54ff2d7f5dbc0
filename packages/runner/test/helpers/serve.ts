import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { H3 } from "h3";
import { toNodeHandler } from "h3/node";

/** What a test request got back. */
export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON (undefined when empty). */
  json: any;
}

/** Options of one test request. */
export interface TestRequestOptions {
  headers?: Record<string, string>;
  /** Sent as is; objects are JSON-encoded. */
  body?: string | Buffer | object;
  /** Send the body in chunks without Content-Length (Transfer-Encoding: chunked). */
  chunked?: boolean;
}

/** An app served on 127.0.0.1 at a port the OS picked, with a raw HTTP client for it. */
export interface ServedApp {
  port: number;
  request(method: string, path: string, options?: TestRequestOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

/**
 * Serves an h3 app with node:http on 127.0.0.1:0. Requests go through node:http too, because
 * fetch refuses to set the Host header the DNS-rebinding tests need to forge.
 */
export async function serveApp(app: H3): Promise<ServedApp> {
  const server: Server = createServer(toNodeHandler(app));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  function request(method: string, path: string, options: TestRequestOptions = {}): Promise<TestResponse> {
    const raw = options.body;
    const body = raw === undefined ? undefined : typeof raw === "string" || Buffer.isBuffer(raw) ? raw : JSON.stringify(raw);
    const headers: Record<string, string> = { host: `localhost:${port}`, ...options.headers };
    if (body !== undefined && !options.chunked) headers["content-length"] = String(Buffer.byteLength(body));
    if (body !== undefined && !headers["content-type"]) headers["content-type"] = "application/json";
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          // A body that is not JSON (an archive, plain text) leaves `json` undefined.
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on("error", reject);
      });
      // The server may answer (413) and close before a big body is fully sent.
      req.on("error", reject);
      if (body !== undefined && options.chunked) {
        const buf = Buffer.from(body);
        const size = 64 * 1024;
        for (let i = 0; i < buf.length; i += size) req.write(buf.subarray(i, i + size));
      } else if (body !== undefined) req.write(body);
      req.end();
    });
  }

  return {
    port,
    request,
    // Idempotent: a test that re-serves with other options closes what beforeEach served.
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (!server.listening) return resolve();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
