import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { mountPlugin, type MountedPlugin } from "@cosmo/core/testing";
import { createStorage } from "unstorage";
import { afterEach, describe, expect, it } from "vitest";
import { applyCommand, initialState, parseZigbeeReport, SmartSwitchPlugin } from "../src/index";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const manifest = { name: "smart-switch", webhook_prefix: "/zigbee" };
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe("smart-switch state", () => {
  it("flips on TOGGLE and counts only real changes", () => {
    const off = initialState("hall");
    const on = applyCommand(off, "TOGGLE", "toggle", new Date(0));
    expect(on).toEqual({ device: "hall", on: true, changes: 1, changed_at: "1970-01-01T00:00:00.000Z", changed_by: "toggle" });
    expect(applyCommand(on, "ON", "zigbee")).toBe(on);
    expect(applyCommand(on, "OFF", "zigbee")).toMatchObject({ on: false, changes: 2, changed_by: "zigbee" });
  });

  it("reads bridge reports in any case and refuses anything else", () => {
    expect(parseZigbeeReport({ state: "on" })).toBe("ON");
    expect(parseZigbeeReport({ state: "TOGGLE" })).toBe("TOGGLE");
    expect(parseZigbeeReport({ state: "dim" })).toBeUndefined();
    expect(parseZigbeeReport(null)).toBeUndefined();
  });
});

describe("smart-switch plugin", () => {
  let mounted: MountedPlugin[] = [];
  const mount = async (...args: Parameters<typeof mountPlugin>) => {
    const m = await mountPlugin(...args);
    mounted.push(m);
    return m;
  };
  afterEach(async () => {
    await Promise.all(mounted.map((m) => m.close()));
    mounted = [];
  });

  it("serves its webhooks under /zigbee and toggles the switch", async () => {
    const host = await mount(new SmartSwitchPlugin(), { manifest, config: { device: "hall" }, logger: quiet });
    expect(host.status).toBe("active");
    expect(await (await host.fetch("/zigbee/state")).json()).toMatchObject({ device: "hall", on: false, changes: 0 });
    const toggled = await host.fetch("/zigbee/toggle", { method: "POST" });
    expect(toggled.status).toBe(200);
    expect(await toggled.json()).toMatchObject({ on: true, changes: 1, changed_by: "toggle" });
  });

  it("takes a Zigbee bridge's report, and answers 400 to a body that is not one", async () => {
    const host = await mount(new SmartSwitchPlugin(), { manifest, logger: quiet });
    const report = (body: string) => host.fetch("/zigbee/events", { method: "POST", body, headers: { "content-type": "application/json" } });
    expect(await (await report('{"state":"ON"}')).json()).toMatchObject({ on: true, changed_by: "zigbee" });
    const bad = await report('{"state":"dim"}');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "BAD_REPORT" } });
  });

  it("flips twice for two toggles sent at once", async () => {
    const host = await mount(new SmartSwitchPlugin(), { manifest, logger: quiet });
    await Promise.all([host.fetch("/zigbee/toggle", { method: "POST" }), host.fetch("/zigbee/toggle", { method: "POST" })]);
    expect(await (await host.fetch("/zigbee/state")).json()).toMatchObject({ on: false, changes: 2 });
  });

  it("keeps its state in ctx.storage, so a new host on the same storage sees it", async () => {
    const storage = createStorage();
    const first = await mount(new SmartSwitchPlugin(), { manifest, storage, logger: quiet });
    await first.fetch("/zigbee/toggle", { method: "POST" });
    await first.close();
    mounted = [];
    const second = await mount(new SmartSwitchPlugin(), { manifest, storage, logger: quiet });
    expect(await (await second.fetch("/zigbee/state")).json()).toMatchObject({ on: true, changes: 1 });
    // Namespaced by the host: the key lives under the plugin's own prefix.
    expect(await storage.getKeys()).toEqual(["plugins:smart-switch:state"]);
  });

  it("loads from its package as a host does (cosmo.json -> dist), once built", async () => {
    const host = await mount(packageDir, { logger: quiet });
    expect(host.error).toBeUndefined();
    expect(host.info()).toMatchObject({ name: "smart-switch", status: "active" });
    expect((await host.fetch("/zigbee/toggle", { method: "POST" })).status).toBe(200);
  });
});
