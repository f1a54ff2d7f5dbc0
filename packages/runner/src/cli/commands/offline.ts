/**
 * `cosmo-runner export <file.tgz>` and `cosmo-runner import <file.tgz>`: a plugin set moved to a
 * machine with no registry (operations/offline.ts). Import installs offline; when a runner serves
 * the data dir, the archive goes to it (POST /plugins/import) and it imports, serves and publishes.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { defineCommand } from "citty";
import writeFileAtomic from "write-file-atomic";
import { exportPlugins, importPlugins } from "../../operations/offline";
import { connectRunner } from "../runner-client";
import { commonArgs, output, progress, since, withContext } from "../shared";

const fileArg = { type: "positional", required: true, description: "The offline bundle (.tgz)" } as const;

/** `cosmo-runner export <file.tgz>`. */
export const exportCommand = defineCommand({
  meta: { name: "export", description: "Write the plugin set, its lockfile and every tarball into one .tgz for a machine with no registry." },
  args: { file: fileArg, ...commonArgs },
  run: ({ args }) =>
    withContext(args, async (ctx) => {
      const startedAt = performance.now();
      const file = resolve(String(args.file));
      progress.start("Collecting the bundle's tarballs...");
      const { stream, meta } = await exportPlugins(ctx.ops);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
      // Atomic: a reader (or a copy to another machine) never sees half an archive.
      await writeFileAtomic(file, Buffer.concat(chunks));
      progress.success(`Exported ${meta.sources.length} plugin(s), ${meta.tarballs.length} tarball(s) (${since(startedAt)} ms)`);
      const summary = { file, sources: meta.sources, tarballs: meta.tarballs.length, took_ms: since(startedAt) };
      output(ctx, summary, `Wrote ${file}: ${meta.sources.length === 0 ? "no plugins" : meta.sources.join(", ")}.\nOn the other machine: cosmo-runner import ${file}`);
    }),
});

/** `cosmo-runner import <file.tgz>`. */
export const importCommand = defineCommand({
  meta: { name: "import", description: "Install an exported plugin set offline (integrity checked); a running runner imports it itself and serves it." },
  args: { file: fileArg, ...commonArgs },
  run: ({ args }) =>
    withContext(args, async (ctx) => {
      const startedAt = performance.now();
      const file = resolve(String(args.file));
      // A runner up on the data dir imports it itself (POST /plugins/import): one lock, one
      // writer of the set, and the generation it publishes is what a fleet on its store follows.
      const runner = await connectRunner(ctx.dataDir);
      if (runner) {
        progress.start(`Sending ${file} to the runner at ${runner.info.url}; it installs it offline and reloads...`);
        const imported = await runner.importPlugins(new Uint8Array(await readFile(file)));
        progress.success(`The runner serves bundle ${imported.bundle} (${since(startedAt)} ms in all)`);
        const plugins = imported.plugins.length === 0 ? "no plugins" : imported.plugins.join(", ");
        return output(ctx, { ...imported, via: "runner", url: runner.info.url }, `Imported ${plugins}; the runner at ${runner.info.url} serves them (generation ${imported.generation}).`);
      }
      progress.start("Checking the tarballs and installing the bundle offline...");
      const imported = await importPlugins(ctx.ops, file);
      progress.success(`Bundle ${imported.bundle} installed (${imported.took_ms} ms)`);
      const plugins = imported.plugins.length === 0 ? "no plugins" : imported.plugins.join(", ");
      output(ctx, imported, `Imported ${plugins} into bundle ${imported.bundle}; the next \`cosmo-runner start\` serves them.`);
    }),
});
