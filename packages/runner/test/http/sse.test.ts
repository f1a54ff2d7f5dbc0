import { createError } from "@cosmo/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import type { PluginOperations } from "../../src/api/operations";
import type { ProgressReporter } from "../../src/operations/progress";
import { createPluginStore } from "../../src/store/create";
import type { PluginStore } from "../../src/store/types";
import { serveApp, type ServedApp } from "../helpers/serve";

const TOKEN = "test-token-0123456789";

/** The events of a text/event-stream body, in order. */
function parseEvents(text: string): { event: string; data: any }[] {
  return text
    .split("\n\n")
    .map((block) => block.split("\n").filter((line) => !line.startsWith(":")))
    .filter((lines) => lines.length > 0 && lines[0] !== "")
    .map((lines) => ({
      event: lines.find((l) => l.startsWith("event: "))!.slice(7),
      data: JSON.parse(lines.find((l) => l.startsWith("data: "))!.slice(6)),
    }));
}

describe("progress as server-sent events", () => {
  let store: PluginStore;
  let served: ServedApp;
  const post = (path: string, stream = true, body?: unknown) =>
    fetch(`http://127.0.0.1:${served.port}${path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(stream ? { accept: "text/event-stream" } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  // Operations that report the phases the worker's do, so the stream can be read end to end.
  const operations: Partial<PluginOperations> = {
    apply: async (report?: ProgressReporter) => {
      report?.({ phase: "bundle", state: "start", message: "Writing the bundled manifest" });
      report?.({ phase: "bundle", state: "done", message: "Bundled manifest written: 1 plugin", plugins: 1, took_ms: 3 });
      return { applied: true };
    },
    install: async (record, report?: ProgressReporter) => {
      report?.({ phase: "check", state: "start", message: `Checking ${record.source}` });
      if (record.source === "conflicting") {
        throw createError("COSMO_E_CONFLICT", { source: record.source, summary: "peer", conflicts: [{ kind: "peer", package: "@cosmo/core" }] });
      }
      if (record.source === "broken") throw new Error("kaboom");
      return store.update(record.id, { install_status: "installed" });
    },
  };

  beforeEach(async () => {
    store = await createPluginStore("memory:", { dataDir: "/nonexistent" });
    served = await serveApp(createApp({ store, token: TOKEN, operations, logger: { error: () => undefined } }));
  });
  afterEach(async () => {
    await served.close();
    await store.close();
  });

  it("streams apply's phases, then its result, when the client accepts text/event-stream", async () => {
    const res = await post("/plugins/apply");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(parseEvents(await res.text())).toEqual([
      { event: "progress", data: { phase: "bundle", state: "start", message: "Writing the bundled manifest" } },
      { event: "progress", data: { phase: "bundle", state: "done", message: "Bundled manifest written: 1 plugin", plugins: 1, took_ms: 3 } },
      { event: "result", data: { applied: true } },
    ]);
  });

  it("answers plain JSON to a client that does not ask for the stream", async () => {
    const res = await post("/plugins/apply", false);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ applied: true });
  });

  it("ends the stream with the error body and its status: a conflict is 409 with its conflicts", async () => {
    const record = await store.create({ name: "conflicting", source: "conflicting" });
    const events = parseEvents(await (await post(`/plugins/${record.id}/install`)).text());
    expect(events.map((e) => e.event)).toEqual(["progress", "error"]);
    expect(events[1]!.data).toMatchObject({ status: 409, error: { code: "COSMO_E_CONFLICT", details: { conflicts: [{ kind: "peer", package: "@cosmo/core" }] } } });
  });

  it("sends an unexpected failure as COSMO_E_INTERNAL with no stack", async () => {
    const record = await store.create({ name: "broken", source: "broken" });
    const text = await (await post(`/plugins/${record.id}/install`)).text();
    const events = parseEvents(text);
    expect(events.at(-1)).toEqual({ event: "error", data: expect.objectContaining({ status: 500, error: expect.objectContaining({ code: "COSMO_E_INTERNAL" }) }) });
    expect(text).not.toContain("kaboom");
  });

  it("streams install then apply for `{ apply: true }`, and the result carries both", async () => {
    const record = await store.create({ name: "ok", source: "ok" });
    const events = parseEvents(await (await post(`/plugins/${record.id}/install`, true, { apply: true })).text());
    expect(events.map((e) => e.data.phase ?? e.event)).toEqual(["check", "bundle", "bundle", "result"]);
    expect(events.at(-1)!.data).toMatchObject({ id: record.id, install_status: "installed", apply: { applied: true } });
  });

  it("answers checks that fail before the work starts as plain JSON errors with their status", async () => {
    const unknown = await post("/plugins/00000000-0000-4000-8000-000000000000/install");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).error.code).toBe("COSMO_E_RECORD_NOT_FOUND");
    const noToken = await fetch(`http://127.0.0.1:${served.port}/plugins/apply`, { method: "POST", headers: { accept: "text/event-stream" } });
    expect(noToken.status).toBe(401);
  });
});
