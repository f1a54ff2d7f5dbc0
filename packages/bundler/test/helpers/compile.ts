/**
 * Compiles a TypeScript entry (and everything it imports) into one ESM file in a temp dir, so a
 * spawned `node` can run our source as it is: Node 20 does not strip types, and tests of
 * inter-process behaviour need real processes.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";

/** Bundles `entry` into `<temp>/<name>.mjs` and returns that path. */
export async function compileForNode(entry: string, name = "entry"): Promise<string> {
  const outfile = join(await mkdtemp(join(tmpdir(), "cosmo-compiled-")), `${name}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "error",
    // CommonJS dependencies bundled into ESM still call require() for node builtins and read
    // __filename (write-file-atomic names its temp files with it): give them both.
    banner: {
      js: [
        'import { createRequire as __cosmoRequire } from "node:module";',
        'import { fileURLToPath as __cosmoPath } from "node:url";',
        "const require = __cosmoRequire(import.meta.url);",
        "const __filename = __cosmoPath(import.meta.url);",
        'const __dirname = __filename.slice(0, __filename.lastIndexOf("/"));',
      ].join("\n"),
    },
  });
  return outfile;
}
