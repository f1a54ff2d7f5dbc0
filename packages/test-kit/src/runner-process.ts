/**
 * The real `cosmo-runner` bin as a child process, the way a user runs it (its built dist/, which
 * the root vitest globalSetup rebuilds when stale), and plain HTTP to it over loopback.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The bin a user runs: the workspace's cosmo-runner, found as any package finds it. */
export const BIN = join(dirname(createRequire(import.meta.url).resolve("cosmo-runner/package.json")), "bin/cosmo-runner.js");

/** A spawned CLI: its output so far, and its exit. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal) and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once stdout (or stderr) matches, rejects if the process exits first or `ms` pass. */
  waitFor(pattern: RegExp, ms?: number, stream?: "stdout" | "stderr"): Promise<RegExpMatchArray>;
}

/** Spawns `node bin/cosmo-runner.js ...args` with a clean COSMO_* environment plus `env`. */
export function runCli(args: string[], env: Record<string, string> = {}, options: { cwd?: string; openFiles?: number } = {}): CliProcess {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("COSMO_")));
  // `openFiles`: under `ulimit -n`, as an operator's service unit may run it (exec: the pid is node's).
  const [command, argv] =
    options.openFiles === undefined
      ? [process.execPath, [BIN, ...args]]
      : ["sh", ["-c", `ulimit -n ${options.openFiles} && exec "$0" "$@"`, process.execPath, BIN, ...args]];
  return spawnProcess(command, argv, { env: { ...base, NO_COLOR: "1", ...env }, cwd: options.cwd });
}

/**
 * Spawns any program (stdin closed, stdout and stderr collected) as a {@link CliProcess}: an
 * example's `node server.js`, a bin of another package.
 * @example const server = spawnProcess(process.execPath, ["server.js"], { cwd, env }); await server.waitFor(/listening on/);
 */
export function spawnProcess(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliProcess {
  const child = spawn(command, args, { env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"], cwd: options.cwd });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const waitFor = (pattern: RegExp, ms = 20_000, stream: "stdout" | "stderr" = "stdout") =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`timed out waiting for ${pattern}\nstdout: ${out}\nstderr: ${err}`)), ms);
      const check = () => {
        const match = (stream === "stdout" ? out : err).match(pattern);
        if (match) done(undefined, match);
      };
      const onExit = () => done(new Error(`exited before ${pattern}\nstdout: ${out}\nstderr: ${err}`));
      const done = (error?: Error, match?: RegExpMatchArray) => {
        clearTimeout(timer);
        child[stream]?.off("data", check);
        child.off("exit", onExit);
        if (error) reject(error);
        else resolve(match!);
      };
      child[stream]?.on("data", check);
      child.once("exit", onExit);
      check();
    });
  return { child, stdout: () => out, stderr: () => err, exited, waitFor };
}

/** Starts `cosmo-runner start` and resolves once it prints the URL it serves. */
export async function startRunner(args: string[], env: Record<string, string> = {}, options: { openFiles?: number } = {}): Promise<CliProcess & { url: string }> {
  const proc = runCli(["start", ...args], env, options);
  const match = await proc.waitFor(/listening on (http:\/\/\S+)/);
  return { ...proc, url: match[1]! };
}

/** Stops a runner with SIGTERM (if still running) and waits for its exit. */
export async function stopRunner(proc: CliProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill("SIGTERM");
  return proc.exited;
}
