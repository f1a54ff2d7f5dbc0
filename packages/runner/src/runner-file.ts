/**
 * `<dataDir>/runner.json`: where a running runner can be reached, so that the other CLI commands
 * (apply, report...) find it. Written atomically while the runner serves, removed when it exits.
 */
import { readFileSync, rmSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import writeFileAtomic from "write-file-atomic";
import { isProcessAlive } from "./process-alive";

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

/** Writes runner.json atomically (a reader never sees half of it), readable by its owner only. */
export async function writeRunnerFile(dataDir: string, info: RunnerInfo): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(join(dataDir, RUNNER_FILE), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
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
  return isProcessAlive(info.pid) ? info : undefined;
}

/** Whether runner.json's text names `pid` (another runner may have started on the data dir since). */
function isOurs(text: string, pid: number): boolean {
  try {
    return (JSON.parse(text) as Partial<RunnerInfo>).pid === pid;
  } catch {
    return false;
  }
}

/** Removes runner.json if it is ours. */
export async function removeRunnerFile(dataDir: string, pid = process.pid): Promise<void> {
  const file = join(dataDir, RUNNER_FILE);
  const text = await readFile(file, "utf8").catch(() => "");
  if (isOurs(text, pid)) await rm(file, { force: true });
}

/**
 * `removeRunnerFile` for a process "exit" handler, where only synchronous work runs: a crash
 * must not leave runner.json pointing at nothing.
 */
export function removeRunnerFileSync(dataDir: string, pid = process.pid): void {
  const file = join(dataDir, RUNNER_FILE);
  try {
    if (isOurs(readFileSync(file, "utf8"), pid)) rmSync(file, { force: true });
  } catch {
    // no file: nothing to remove
  }
}
