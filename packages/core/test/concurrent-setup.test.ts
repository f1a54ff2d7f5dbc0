import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { discoverPlugins, loadPlugins, PluginService } from "../src/index";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

// Regression (issue 9): setups ran one after another, so 7 plugins whose setup never resolved
// took 7 timeouts and failed the whole start, though each alone would just be `failed`.
describe("loadPlugins runs setups concurrently", () => {
  it("starts every setup before any finishes: setups that each wait for all the others still succeed", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cosmo-concurrent-"));
    const count = 7;
    const key = `__cosmoBarrier${Date.now()}`;
    try {
      for (let i = 0; i < count; i++) {
        const pkg = join(dir, "node_modules", `slow-${i}`);
        await mkdir(pkg, { recursive: true });
        await writeFile(join(pkg, "package.json"), JSON.stringify({ name: `slow-${i}`, version: "1.0.0", type: "module", main: "index.js" }));
        await writeFile(join(pkg, "cosmo.json"), JSON.stringify({ name: `slow-${i}`, version: "1.0.0", plugin_class: "./index.js:plugin" }));
        // Each setup resolves only once all `count` setups have started: run one at a time,
        // the first would wait for ever (and time out).
        await writeFile(
          join(pkg, "index.js"),
          `const b = (globalThis.${key} ??= { started: 0, waiters: [] });
export const plugin = { setup() {
  b.started++;
  if (b.started === ${count}) for (const w of b.waiters) w();
  return b.started === ${count} ? undefined : new Promise((r) => b.waiters.push(r));
} };\n`,
        );
      }
      const { plugins } = await discoverPlugins({ roots: [join(dir, "node_modules")] });
      const service = new PluginService({ logger: silent, setupTimeout: 2_000 });
      const infos = await loadPlugins(plugins, service);
      expect(infos.map((i) => i.status)).toEqual(Array(count).fill("active"));
      // Registration order is still the list's order (clashes and teardown stay predictable).
      expect(service.list().map((p) => p.name)).toEqual(plugins.map((p) => p.manifest.name));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
