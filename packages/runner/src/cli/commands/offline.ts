/**
 * `cosmo-runner export <file.tgz>` and `cosmo-runner import <file.tgz>`: a plugin set moved to a
 * machine with no registry (operations/offline.ts). Import installs offline and, when a runner
 * serves the data dir, has it reload onto the imported bundle.
 */
import { randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { defineCommand } from "citty";
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
      // Temp file + rename: a reader (or a copy to another machine) never sees half an archive.
      const temp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
      try {
        await writeFile(temp, Buffer.concat(chunks));
        await rename(temp, file);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
      progress.success(`Exported ${meta.sources.length} plugin(s), ${meta.tarballs.length} tarball(s) (${since(startedAt)} ms)`);
      const summary = { file, sources: meta.sources, tarballs: meta.tarballs.length, took_ms: since(startedAt) };
      output(ctx, summary, `Wrote ${file}: ${meta.sources.length === 0 ? "no plugins" : meta.sources.join(", ")}.\nOn the other machine: cosmo-runner import ${file}`);
    }),
});

/** `cosmo-runner import <file.tgz>`. */
export const importCommand = defineCommand({
  meta: { name: "import", description: "Install an exported plugin set offline (integrity checked); a running runner reloads onto it." },
  args: { file: fileArg, ...commonArgs },
  run: ({ args }) =>
    withContext(args, async (ctx) => {
      const startedAt = performance.now();
      progress.start("Checking the tarballs and installing the bundle offline...");
      const imported = await importPlugins(ctx.ops, resolve(String(args.file)));
      progress.success(`Bundle ${imported.bundle} installed (${imported.took_ms} ms)`);
      const runner = await connectRunner(ctx.dataDir);
      let reload: unknown = null;
      if (runner) {
        progress.start(`Reloading the runner at ${runner.info.url}...`);
        reload = await runner.request("POST", "/plugins/reload", { rollbackOnFailure: true });
        progress.success(`The runner serves bundle ${imported.bundle} (${since(startedAt)} ms in all)`);
      }
      const plugins = imported.plugins.length === 0 ? "no plugins" : imported.plugins.join(", ");
      output(ctx, { ...imported, reload }, () =>
        runner
          ? `Imported ${plugins}; the runner at ${runner.info.url} serves them.`
          : `Imported ${plugins} into bundle ${imported.bundle}; the next \`cosmo-runner start\` serves them.`,
      );
    }),
});
