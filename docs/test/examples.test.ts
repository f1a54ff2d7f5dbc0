/**
 * Runs the examples of the docs, so the docs cannot drift from the code. Every TS/JS/JSON block
 * of every page carries a directive (`<!-- test {...} -->`, see README.md) saying how it is run,
 * or why it is not.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createBundledManifest } from "@cosmo/bundler";
import { publishDirectory, registryEnv } from "@cosmo/test-kit";
// For the types of inject("registryUrl"): the globalSetup declares them.
import { docsDir, listPages, readBlocks, type Block } from "./pages";
import {
  checkManifest,
  expectResponse,
  installInto,
  matchesShape,
  repoDir,
  run,
  runPlugin,
  startServer,
  toModule,
  vitestBin,
  writeBlock,
  type Expected,
} from "./run";
import { runCliBlock, runHttp, stopRunners } from "./runner";

const tmpRoot = join(docsDir, "test", ".tmp", `run-${process.pid}`);
const pages = listPages();
const blocks = pages.flatMap(readBlocks);
const registryUrl = () => inject("registryUrl");
const slug = (block: Block) => block.page.replace(/\.md$/, "").replace(/\//g, "_");
const groupDir = (block: Block) => join(tmpRoot, slug(block), String(block.directive?.group ?? `block-${block.line}`));

beforeAll(async () => {
  // The plugin the docs install by name, as a user would; the registry holds the bundler's
  // fixtures plus what the docs add here.
  await publishDirectory(registryUrl(), join(repoDir, "examples", "smart-switch"));
  // Versions in semver order: each publish moves `latest`, which must end on the highest.
  for (const fixture of ["cosmo-plugin-hue-1.0.0", "cosmo-plugin-hue-1.1.0", "cosmo-plugin-hue"]) await publishDirectory(registryUrl(), join(docsDir, "test", "fixtures", fixture));
});

afterAll(async () => {
  await stopRunners();
  await rm(tmpRoot, { recursive: true, force: true });
});

describe("every example block says how it is tested", () => {
  it.each(blocks.filter((b) => ["ts", "js", "json", "mjs"].includes(b.lang) && !b.isResponse).map((b) => [`${b.page}:${b.line}`, b] as const))(
    "%s",
    (_where, block) => {
      expect(block.directive, `${block.page}:${block.line} (${block.lang}) needs a <!-- test {...} --> directive`).toBeDefined();
      if (block.directive?.kind === "skip") expect(block.directive.why, "a skipped block says why").toEqual(expect.any(String));
    },
  );
});

for (const page of pages) {
  const tested = blocks.filter((b) => b.page === page && b.directive && b.directive.kind !== "skip");
  if (tested.length === 0) continue;
  describe(page, () => {
    for (const block of tested) {
      const d = block.directive as Record<string, unknown>;
      const title = `${d.kind} block at line ${block.line}${d.file ? ` (${d.file})` : ""}`;
      it(title, async () => {
        const dir = groupDir(block);
        const file = d.file as string | undefined;
        switch (d.kind) {
          case "file":
            if (block.lang === "json") JSON.parse(block.code);
            await writeBlock(dir, file as string, block.code);
            return;
          case "manifest":
            checkManifest(block);
            if (file) await writeBlock(dir, file, block.code);
            return;
          case "plugin":
            return runPlugin(block, await writeBlock(dir, file ?? `block-${block.line}.${block.lang}`, block.code), dir);
          case "vitest": {
            await writeBlock(dir, file as string, block.code);
            // A config of its own, or vitest would find docs/vitest.config.ts above the temp dir.
            const config = await writeBlock(dir, "vitest.config.mjs", "export default {};\n");
            const result = await run(process.execPath, [vitestBin, "run", "--root", dir, "--config", config, file as string], { cwd: dir });
            expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
            return;
          }
          case "server": {
            const path = await writeBlock(dir, (file as string).replace(/\.[mc]?[jt]s$/, ".mjs"), await toModule(block.code, block.lang));
            await installInto(dir, (d.install as string[] | undefined) ?? []);
            const server = await startServer(path, dir);
            try {
              for (const want of (d.requests as Expected[] | undefined) ?? []) {
                const response = await fetch(server.url + want.path, { method: want.method ?? "GET", body: want.body });
                await expectResponse(response, want, `${page}:${block.line}`);
              }
            } finally {
              const stopped = await server.stop();
              expect(stopped.code, `stops cleanly on SIGTERM\n${stopped.stdout}\n${stopped.stderr}`).toBe(0);
            }
            return;
          }
          case "script": {
            const path = await writeBlock(dir, (file as string).replace(/\.[mc]?[jt]s$/, ".mjs"), await toModule(block.code, block.lang));
            const npm = await registryEnv(registryUrl());
            try {
              const result = await run(process.execPath, [path], { cwd: dir, env: npm.env });
              expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(d.exit ?? 0);
              if (typeof d.stdout === "string") expect(result.stdout).toMatch(new RegExp(d.stdout));
            } finally {
              await rm(npm.dir, { recursive: true, force: true });
            }
            return;
          }
          case "bundled-manifest": {
            // What the bundler writes for that host and those sources, against the shown one.
            const npm = await registryEnv(registryUrl());
            try {
              const manifest = await createBundledManifest({
                hostDir: join(repoDir, d.host as string),
                sources: d.sources as string[],
                npmOptions: { registry: registryUrl(), cache: join(npm.dir, "cache") },
              });
              expect(matchesShape(JSON.parse(block.code), manifest)).toEqual([]);
            } finally {
              await rm(npm.dir, { recursive: true, force: true });
            }
            return;
          }
          case "http":
            return runHttp(block, registryUrl());
          case "cli":
            return runCliBlock(block, registryUrl());
          default:
            throw new Error(`${page}:${block.line}: unknown test kind ${String(d.kind)}`);
        }
      });
    }
  });
}
