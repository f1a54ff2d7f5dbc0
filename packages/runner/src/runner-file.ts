/**
 * `<dataDir>/runner.json`: where a running runner can be reached, so that the other CLI commands
 * (apply, report...) find it. Written atomically while the runner serves, removed when it exits.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** File name of the running runner's address inside the data dir. */
export const RUNNER_FILE = "runner.json";

/** What runner.json holds. */
export interface RunnerInfo {
  /** The URL it serves, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** The supervisor's pid (the process to signal: SIGTERM stops, SIGHUP reloads). */
  pid: number;
  /** When it started (ISO 8601). */
  started_at: string;
}

/** Writes runner.json (temp file + rename, so a reader never sees half of it). */
export async function writeRunnerFile(dataDir: string, info: RunnerInfo): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, RUNNER_FILE);
  // Unique per write: two writes of one process (a restart with --port 0) must not share a temp.
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(temp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, file);
}

/**
 * The running runner of a data dir, or undefined when none is recorded or the recorded process
 * is gone (a runner killed with SIGKILL leaves its file behind).
 */
export async function readRunnerFile(dataDir: string): Promise<RunnerInfo | undefined> {
  let info: RunnerInfo;
  try {
    info = JSON.parse(await readFile(join(dataDir, RUNNER_FILE), "utf8")) as RunnerInfo;
  } catch {
    return undefined;
  }
  try {
    process.kill(info.pid, 0); // signal 0: only asks whether the process exists
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return undefined;
  }
  return info;
}

/** Removes runner.json if it is ours (another runner may have started on the data dir since). */
export async function removeRunnerFile(dataDir: string, pid = process.pid): Promise<void> {
  const file = join(dataDir, RUNNER_FILE);
  try {
    const info = JSON.parse(await readFile(file, "utf8")) as RunnerInfo;
    if (info.pid !== pid) return;
  } catch {
    return;
  }
  await rm(file, { force: true });
}
