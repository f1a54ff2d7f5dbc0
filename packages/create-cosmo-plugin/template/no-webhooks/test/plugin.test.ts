import { mountPlugin } from "@cosmo/core/testing";
import { describe, expect, it } from "vitest";
import manifest from "../cosmo.json";
import plugin from "../src/index";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe("{{pluginName}}", () => {
  it("sets up and tears down cleanly", async () => {
    // The plugin from src with the manifest from cosmo.json (checked as the host checks it).
    const host = await mountPlugin(plugin, { manifest, logger: quiet });
    expect(host.status).toBe("active");
    await host.close();
    expect(host.status).toBe("unregistered");
  });
});
