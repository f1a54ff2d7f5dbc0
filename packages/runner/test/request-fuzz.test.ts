import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeBundle, useBundle, versionPlugin } from "./helpers/bundles";
import { rawRequest } from "./helpers/raw-http";
import { startRunner, stopRunner, type CliProcess } from "@cosmo/test-kit";
import { requestLineArbitrary } from "./helpers/request-fuzz";

const TOKEN = "request-fuzz-token-0123";
// `npm run reliability` sets a larger count; `npm test` runs a short form.
const RUNS = Number(process.env.COSMO_FUZZ_RUNS ?? 150);

// Regression: five unauthenticated `GET /a/.. HTTP/1.1` with `Host: 127.0.0.1:99999` threw an
// uncaught "Invalid URL" in the worker and the fifth ended the runner; the same Host on other
// paths gave 500 COSMO_E_INTERNAL. A plugin with prefix /a answered GET /b/x through /%2e%2e/b/x.
describe("a runner facing malformed requests", () => {
  let dataDir: string;
  let runner: CliProcess & { url: string };
  let port: number;
  const health = async () => (await (await fetch(`${runner.url}/health`)).json()) as { pid: number; plugins: Record<string, number> };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "cosmo-fuzz-"));
    const hijacker = {
      name: "hijacker",
      prefix: "/a",
      source: `export const plugin = { setup(ctx) { ctx.route("GET", "/%2e%2e/b/x", () => "hijacked"); } };\n`,
    };
    await useBundle(dataDir, await makeBundle(dataDir, "v1", [versionPlugin("b", "/b", "1"), hijacker]));
    runner = await startRunner(["--port", "0", "--data-dir", dataDir], { COSMO_ADMIN_TOKEN: TOKEN });
    port = Number(new URL(runner.url).port);
  });
  afterAll(async () => {
    await stopRunner(runner);
    await rm(dataDir, { recursive: true, force: true });
  });

  it("refuses a plugin route pattern that climbs out of its prefix, and serves nothing outside it", async () => {
    const installed = (await (await fetch(`${runner.url}/plugins/installed`)).json()) as { plugins: { name: string; status: string; error?: { code: string } }[] };
    expect(installed.plugins.find((p) => p.name === "hijacker")).toMatchObject({ status: "failed", error: { code: "COSMO_E_ROUTE_INVALID" } });
    for (const path of ["/b/x", "/a/%2e%2e/b/x", "/a/../b/x", "/a/.%2E/b/x"]) {
      const answer = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      expect(answer.status).toBe(404);
      expect(answer.body).not.toContain("hijacked");
    }
  });

  it("answers bad Host headers and request lines with 400 and a code, and the worker lives on", async () => {
    const { pid } = await health();
    const cases = [
      "GET /a/.. HTTP/1.1\r\nHost: 127.0.0.1:99999\r\n\r\n",
      "GET /health HTTP/1.1\r\nHost: 127.0.0.1:99999\r\n\r\n",
      "GET /plugins HTTP/1.1\r\nHost: a b\r\n\r\n",
      "GET /b/version HTTP/1.0\r\n\r\n",
      "GET http://other.test/b/version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      "GET //other.test/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      "GARBAGE\r\n\r\n",
      "GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
      "CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n",
    ];
    for (let round = 0; round < 5; round++) {
      for (const bytes of cases) {
        const answer = await rawRequest(port, bytes);
        expect(answer.status, `${JSON.stringify(bytes)} -> ${answer.raw}`).toBeGreaterThanOrEqual(400);
        expect(answer.status, `${JSON.stringify(bytes)} -> ${answer.raw}`).toBeLessThan(500);
        expect(answer.body).toContain("COSMO_E_");
      }
    }
    expect((await health()).pid).toBe(pid);
  });

  it("never answers a fuzzed raw request with a 5xx or no answer, nor loses its worker", async () => {
    const { pid } = await health();
    await fc.assert(
      fc.asyncProperty(requestLineArbitrary(), async (bytes) => {
        const answer = await rawRequest(port, bytes);
        if (answer.status === undefined || answer.status >= 500) throw new Error(`${JSON.stringify(bytes)} -> ${JSON.stringify(answer.raw.slice(0, 300))}`);
        return !answer.body.includes("hijacked");
      }),
      { numRuns: RUNS },
    );
    expect((await health()).pid).toBe(pid);
  }, 600_000);
});
