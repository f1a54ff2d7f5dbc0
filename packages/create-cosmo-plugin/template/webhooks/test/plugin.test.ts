import { mountPlugin } from "@cosmo/core/testing";
import { describe, expect, it } from "vitest";
import manifest from "../cosmo.json";
import plugin from "../src/index";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe("{{pluginName}}", () => {
  it("answers POST {{prefix}}/hello with what it received", async () => {
    // The plugin from src with the manifest from cosmo.json (checked as the host checks it).
    const host = await mountPlugin(plugin, { manifest, logger: quiet });
    try {
      expect(host.status).toBe("active");
      const res = await host.fetch("{{prefix}}/hello", { method: "POST", body: JSON.stringify({ hi: 1 }) });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ plugin: "{{pluginName}}", received: { hi: 1 } });
    } finally {
      await host.close();
    }
  });
});
