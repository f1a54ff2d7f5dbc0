/**
 * `cosmo-runner check <source>`: would this plugin fit with the runner and the tracked plugins?
 * The in-memory check alone: nothing is tracked or recorded. Exit 3 on a conflict, with the
 * explanation on stderr (and the conflicts as data on stdout with --json).
 */
import { defineCommand } from "citty";
import { checkSource } from "../../operations/install";
import { commonArgs, output, progress, since, withContext } from "../shared";

export default defineCommand({
  meta: { name: "check", description: "Check a plugin source for conflicts without installing it." },
  args: {
    source: { type: "positional", required: true, description: "npm spec (name, name@range), tarball path or URL" },
    ...commonArgs,
  },
  run: ({ args }) =>
    withContext(args, async (ctx) => {
      const startedAt = performance.now();
      progress.start(`Checking ${args.source} against the runner and the installed plugins...`);
      const result = await checkSource(ctx.ops, String(args.source));
      progress.success(`No conflicts (${since(startedAt)} ms)`);
      output(ctx, result, `${result.source} fits: no conflicts with the runner or the installed plugins.`);
    }),
});
