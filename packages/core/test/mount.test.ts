import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { H3 } from "h3";
import { toNodeHandler } from "h3/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRouter, discoverPlugins, loadPlugins, PluginService, type CosmoRouter } from "../src/index";
import { toNodeListener } from "../src/node";
import { makeNodeModules, type TempNodeModules } from "./helpers/node-modules";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let nm: TempNodeModules;
beforeAll(async () => {
  nm = await makeNodeModules(["valid-esm", "valid-cjs", "route-throws", "teardown-throws", "setup-throws"]);
});
afterAll(() => nm?.cleanup());

async function listen(server: Server): Promise<string> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function loadedHost() {
  const service = new PluginService({ logger: quiet });
  const { plugins } = await discoverPlugins({ roots: [nm.root] });
  await loadPlugins(plugins, service);
  return { service, router: createRouter(service) };
}

// The same behaviour, whatever server the router is mounted in.
const servers: [string, (router: CosmoRouter) => Server][] = [
  ["node:http via toNodeListener", (router) => createServer(toNodeListener(router.fetch))],
  [
    "an h3 v2 app",
    (router) => {
      const app = new H3();
      app.get("/health", () => ({ ok: true }));
      // h3 v2 events carry the web Request, so the dispatcher is mounted as is.
      app.all("/**", (event) => router.fetch(event.req));
      return createServer(toNodeHandler(app));
    },
  ],
];

describe.each(servers)("the router mounted in %s", (_, makeServer) => {
  let base: string;
  let server: Server;
  let service: PluginService;

  beforeAll(async () => {
    const host = await loadedHost();
    service = host.service;
    server = makeServer(host.router);
    base = await listen(server);
  });
  afterAll(async () => {
    await close(server);
    await service.shutdown();
  });

  it("answers a plugin route over real HTTP, request body included", async () => {
    const res = await fetch(`${base}/valid-esm/hook`, { method: "POST", body: JSON.stringify({ on: true }), headers: { "content-type": "application/json" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ plugin: "valid-esm", received: { on: true } });
    expect(await (await fetch(`${base}/valid-cjs/ping`)).json()).toEqual({ plugin: "valid-cjs", pong: true });
  });

  it("answers an unknown route with 404 and the coded body", async () => {
    const res = await fetch(`${base}/nope/nothing`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "COSMO_E_ROUTE_NOT_FOUND" } });
  });

  it("answers a throwing handler with 500 and a coded body without the stack", async () => {
    const res = await fetch(`${base}/route-throws/boom`);
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(text)).toMatchObject({ error: { code: "COSMO_E_ROUTE_HANDLER_FAILED" } });
    expect(text).not.toContain("secret-internal-detail");
    expect(text).not.toContain(".js:");
    expect(await (await fetch(`${base}/route-throws/ok`)).json()).toEqual({ ok: true });
  });

  it("never serves a plugin whose setup failed", async () => {
    expect(service.get("setup-throws")?.status).toBe("failed");
    expect((await fetch(`${base}/setup-throws/ping`)).status).toBe(404);
  });

  it("answers 404 at once after the plugin is unregistered, even when its teardown throws", async () => {
    expect((await fetch(`${base}/teardown-throws/ping`)).status).toBe(200);
    const info = await service.unregister("teardown-throws");
    expect(info.teardownError?.code).toBe("COSMO_E_PLUGIN_TEARDOWN_FAILED");
    const res = await fetch(`${base}/teardown-throws/ping`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "COSMO_E_ROUTE_NOT_FOUND" } });
  });
});

describe("toNodeListener", () => {
  it("carries status, repeated headers, cookies and a streamed body both ways", async () => {
    const server = createServer(
      toNodeListener(async (request) => {
        const body = await request.text();
        const headers = new Headers({ "x-echo": request.headers.get("x-multi") ?? "" });
        headers.append("set-cookie", "a=1");
        headers.append("set-cookie", "b=2");
        const stream = new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(`${request.method} ${new URL(request.url).pathname} `));
            controller.enqueue(new TextEncoder().encode(body));
            controller.close();
          },
        });
        return new Response(stream, { status: 202, headers });
      }),
    );
    const base = await listen(server);
    try {
      const res = await fetch(`${base}/x/y?z=1`, { method: "PUT", body: "payload", headers: [["x-multi", "1"], ["x-multi", "2"]] });
      expect(res.status).toBe(202);
      expect(res.headers.get("x-echo")).toBe("1, 2");
      expect(res.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
      expect(await res.text()).toBe("PUT /x/y payload");
    } finally {
      await close(server);
    }
  });

  it("answers 500 without details when the fetch handler itself throws", async () => {
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    const server = createServer(toNodeListener(() => { throw new Error("handler-secret"); }));
    const base = await listen(server);
    try {
      const res = await fetch(`${base}/`);
      expect(res.status).toBe(500);
      expect(await res.text()).not.toContain("handler-secret");
      expect(errors).toHaveLength(1);
    } finally {
      console.error = original;
      await close(server);
    }
  });
});

describe("toNodeListener request URLs", () => {
  it("reads a request-target starting with // as a path on this host, never as another host", async () => {
    const { toNodeListener } = await import("../src/node");
    const { request } = await import("node:http");
    const server = createServer(toNodeListener((req) => Response.json({ host: new URL(req.url).host, path: new URL(req.url).pathname })));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    try {
      const body = await new Promise<string>((resolve, reject) => {
        request({ host: "127.0.0.1", port, path: "//evil.example/zigbee/toggle" }, (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d.toString()));
          res.on("end", () => resolve(text));
        })
          .on("error", reject)
          .end();
      });
      expect(JSON.parse(body)).toEqual({ host: `127.0.0.1:${port}`, path: "//evil.example/zigbee/toggle" });
    } finally {
      server.close();
    }
  });
});
