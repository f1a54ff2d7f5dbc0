/**
 * Where an offline bundle POSTed to `/plugins/import` waits while it is imported
 * (`<dataDir>/plugins/import-<pid>-<random>.tgz.tmp`), and the sweep of those a killed process
 * left behind. The writer's pid is in the name, so a sweep can tell a file whose import is still
 * running (its process lives: another worker of the runner may be importing) from an abandoned
 * one, however long an import of a large archive takes.
 */
import { randomBytes } from "node:crypto";
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { isProcessAlive } from "../process-alive";

const NAME = /^import-(?:(\d+)-)?[0-9a-f]+\.tgz\.tmp$/;

// A name without a pid (written before pids were part of it) counts as abandoned after this long.
const UNNAMED_ABANDONED_MS = 60 * 60_000;

/** The dir import files live in. */
const importDir = (dataDir: string) => join(dataDir, "plugins");

/** A fresh path for this process's next import file. */
export function importFilePath(dataDir: string): string {
  return join(importDir(dataDir), `import-${process.pid}-${randomBytes(6).toString("hex")}.tgz.tmp`);
}

/**
 * Removes the import files no running import uses: those whose writer is dead, or all of them
 * (`all`, at a start, when no process of a runner is up on the data dir). Returns the names
 * removed; never throws (a file it cannot remove waits for the next sweep).
 */
export async function sweepImportFiles(dataDir: string, options: { all?: boolean } = {}): Promise<string[]> {
  const names = await readdir(importDir(dataDir)).catch(() => [] as string[]);
  const removed: string[] = [];
  await Promise.all(
    names.map(async (name) => {
      const match = NAME.exec(name);
      if (!match) return;
      const file = join(importDir(dataDir), name);
      if (!options.all) {
        const pid = match[1] === undefined ? undefined : Number(match[1]);
        if (pid === process.pid || (pid !== undefined && isProcessAlive(pid))) return;
        if (pid === undefined && Date.now() - (await stat(file).then((s) => s.mtimeMs, () => Date.now())) < UNNAMED_ABANDONED_MS) return;
      }
      await rm(file, { force: true }).then(
        () => removed.push(name),
        () => undefined,
      );
    }),
  );
  return removed.sort();
}
