import { request } from "node:http";

/** Options of {@link requestOnNewConnection}. */
export interface FreshRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * A request on a connection of its own, as a new client (or each curl command) makes it. fetch()
 * reuses idle keep-alive connections, and during a reload the old worker keeps its idle
 * connections until their keep-alive timeout (so no request is dropped): a reused one can get one
 * more answer from the previous bundle. Checking what a runner serves *now* needs a new one.
 */
export function requestOnNewConnection(url: string, options: FreshRequestOptions = {}): Promise<{ status: number; text: string }> {
  const method = options.method ?? "GET";
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: options.headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.once("error", reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.end(options.body);
  });
}
