// npm's installer is loaded on first use (npm-libs.ts): a server worker imports this package at
// every start, and Arborist + pacote would add about a second of CPU to each reload.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const dist = fileURLToPath(new URL("../dist/index.js", import.meta.url));

/** Runs an ESM snippet in a fresh node; resolves with its stdout. */
function node(code: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`node exited ${code}`))));
  });
}

const loaded = `Object.keys(require.cache).filter((k) => /node_modules\\/(@npmcli\\/arborist|pacote)\\//.test(k)).length > 0`;

describe("npm-libs", () => {
  it("importing @cosmo/bundler loads neither Arborist nor pacote; the first preloadInstaller does", async () => {
    const out = await node(`
      import { createRequire } from "node:module";
      const require = createRequire(import.meta.url);
      const bundler = await import(${JSON.stringify(dist)});
      const before = ${loaded};
      await bundler.preloadInstaller();
      console.log(JSON.stringify({ before, after: ${loaded} }));
    `);
    expect(JSON.parse(out)).toEqual({ before: false, after: true });
  });
});
