/**
 * The real `create-cosmo-plugin` bin as a child process (its built dist/, which the root vitest
 * globalSetup rebuilds when stale), in temp dirs, with no terminal (stdin closed) unless driven
 * through `pty.ts`.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { runProcess } from "./workspace";

/** The bin a user runs. */
export const BIN = fileURLToPath(new URL("../../bin/create-cosmo-plugin.js", import.meta.url));

/** What a finished run printed and how it ended. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the bin with `args` in `cwd`, stdin closed (no terminal), and waits for its exit. */
export function runBin(args: string[], cwd: string): Promise<CliResult> {
  return runProcess(process.execPath, [BIN, ...args], cwd, process.env);
}

/** A fresh temp dir; `cleanup()` removes it. */
export async function tempDir(prefix = "create-cosmo-plugin-"): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Every file under `dir`, relative and `/`-separated, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split("\\").join("/"))
    .sort();
}

/** The files the scaffolder writes, in `listFiles` order. */
export const PLUGIN_FILES = [
  ".gitignore",
  "README.md",
  "cosmo.json",
  "package.json",
  "src/index.ts",
  "test/plugin.test.ts",
  "tsconfig.json",
  "tsup.config.ts",
];
