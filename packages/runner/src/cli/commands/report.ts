/**
 * `cosmo-runner report`: the bug report (lockfile, tracking file, records, versions), built from
 * the data dir directly, so it works with no runner running (a bug report includes the lockfile:
 * reports").
 */
import { defineCommand } from "citty";
import { createReport } from "../../operations/report";
import { commonArgs, withContext } from "../shared";

export default defineCommand({
  meta: { name: "report", description: "Print a bug report as JSON: lockfile, tracking file, plugin records, versions." },
  args: { ...commonArgs },
  // Always JSON: a report is pasted into an issue whole; --json is accepted for symmetry.
  run: ({ args }) => withContext(args, async (ctx) => console.log(JSON.stringify(await createReport(ctx.ops), null, 2))),
});
