/**
 * One contract, every host framework: a plugin's JSON, text and form POSTs reach it whole, its
 * answers come back, and a request no plugin route matches is the host's. Run against real
 * Express 5 (behind express.json()/text()/urlencoded(), and with no parser) and real Fastify 5.
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cosmoExpress } from "../src/express";
import { cosmoFastify } from "../src/fastify";
import { createRouter, definePlugin, parseManifest, PluginService, type CosmoRouter } from "../src/index";
import { toNodeListener } from "../src/node";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const echo = definePlugin({
  setup(ctx) {
    ctx.route("POST", "/json", async (req) => ({ got: await req.json(), type: req.headers.get("content-type") }));
    ctx.route("POST", "/text", async (req) => ({ text: await req.text() }));
    ctx.route("POST", "/form", async (req) => ({ form: Object.fromEntries((await req.formData()).entries()) }));
    ctx.route("GET", "/hello", () => new Response("hi", { headers: { "x-plugin": "echo" } }));
  },
});

async function makeRouter(): Promise<CosmoRouter> {
  const service = new PluginService({ logger: quiet });
  const manifest = parseManifest(JSON.stringify({ name: "echo", version: "1.0.0", plugin_class: "index.js", requires_webhooks: true, webhook_prefix: "/echo" }), "echo");
  await service.register(echo, { manifest });
  return createRouter(service);
}

interface Host {
  url: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<Host> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function expressHost(router: CosmoRouter, parsers: boolean): Promise<Host> {
  const app = express();
  if (parsers) app.use(express.json(), express.text(), express.urlencoded({ extended: false }));
  app.use(cosmoExpress(router));
  app.get("/host-route", (_req, res) => void res.json({ host: true }));
  return listen(createServer(app));
}

async function fastifyHost(router: CosmoRouter): Promise<Host> {
  const app: FastifyInstance = Fastify();
  app.get("/host-route", async () => ({ host: true }));
  // The host's own JSON route keeps Fastify's JSON parser: the plugin's parsers stay in its context.
  app.post("/host-json", async (request) => ({ host: request.body }));
  await app.register(cosmoFastify, { router });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

const hosts: [string, (router: CosmoRouter) => Promise<Host>][] = [
  ["Express behind express.json(), text() and urlencoded()", (r) => expressHost(r, true)],
  ["Express with no body parser", (r) => expressHost(r, false)],
  ["Fastify with its JSON parser", fastifyHost],
];

describe.each(hosts)("plugin routes in %s", (_name, start) => {
  let host: Host;
  beforeAll(async () => {
    host = await start(await makeRouter());
  });
  afterAll(() => host?.close());

  it("hands a JSON POST to the plugin whole", async () => {
    const res = await fetch(`${host.url}/echo/json`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ on: true, n: [1, 2] }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ got: { on: true, n: [1, 2] }, type: "application/json" });
  });

  it("hands a text POST and a form POST to the plugin", async () => {
    const text = await fetch(`${host.url}/echo/text`, { method: "POST", headers: { "content-type": "text/plain" }, body: "hello there" });
    expect(await text.json()).toEqual({ text: "hello there" });
    const form = await fetch(`${host.url}/echo/form`, { method: "POST", body: new URLSearchParams({ a: "1", b: "two" }) });
    expect(await form.json()).toEqual({ form: { a: "1", b: "two" } });
  });

  it("sends the plugin's response with its headers", async () => {
    const res = await fetch(`${host.url}/echo/hello`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-plugin")).toBe("echo");
    expect(await res.text()).toBe("hi");
  });

  it("leaves the host's own routes to the host", async () => {
    expect(await (await fetch(`${host.url}/host-route`)).json()).toEqual({ host: true });
  });
});

describe("the adapters' edges", () => {
  let router: CosmoRouter;
  beforeAll(async () => {
    router = await makeRouter();
  });

  it("answers COSMO_E_BODY_UNREADABLE (naming the fix), not COSMO_E_INTERNAL, when express.json() ran before a bare node adapter", async () => {
    const app = express();
    app.use(express.json());
    app.use(toNodeListener(router.fetch)); // the mistake: the parser has read the stream
    const host = await listen(createServer(app));
    try {
      const res = await fetch(`${host.url}/echo/json`, { method: "POST", headers: { "content-type": "application/json" }, body: "{\"on\":true}" });
      expect(res.status).toBe(500);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("COSMO_E_BODY_UNREADABLE");
      expect(body.error.message).toContain("@cosmo/core/express");
    } finally {
      await host.close();
    }
  });

  it("keeps Fastify's JSON parser for the host's routes", async () => {
    const host = await fastifyHost(router);
    try {
      const res = await fetch(`${host.url}/host-json`, { method: "POST", headers: { "content-type": "application/json" }, body: "{\"a\":1}" });
      expect(await res.json()).toEqual({ host: { a: 1 } });
    } finally {
      await host.close();
    }
  });

  it("answers the router's 404 itself when Express fallthrough is off", async () => {
    const app = express();
    app.use(cosmoExpress(router, { fallthrough: false }));
    const host = await listen(createServer(app));
    try {
      const res = await fetch(`${host.url}/nowhere`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("COSMO_E_ROUTE_NOT_FOUND");
    } finally {
      await host.close();
    }
  });

  it("hands Express's raw bytes (req.rawBody) over when a parser kept them", async () => {
    const app = express();
    app.use(express.json({ verify: (req, _res, buf) => void ((req as unknown as { rawBody: Buffer }).rawBody = Buffer.from(buf)) }));
    app.use(cosmoExpress(router));
    const host = await listen(createServer(app));
    try {
      const sent = '{ "spaced" :  true }';
      const res = await fetch(`${host.url}/echo/text`, { method: "POST", headers: { "content-type": "application/json" }, body: sent });
      expect(await res.json()).toEqual({ text: sent });
    } finally {
      await host.close();
    }
  });
});
