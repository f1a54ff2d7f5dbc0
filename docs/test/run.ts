/**
 * How each kind of docs example is run (the directives are described in README.md): plugins are
 * mounted with @cosmo/core/testing and their routes called, servers and scripts run as node
 * processes, HTTP and CLI examples go to a real cosmo-runner.
 */
import { spawn } from "node:child_process";
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { isCosmoError, validateManifest } from "@cosmo/core";
import { mountPlugin } from "@cosmo/core/testing";
import { transform } from "esbuild";
import { expect } from "vitest";
import { docsDir, type Block } from "./pages";

const require = createRequire(import.meta.url);
export const repoDir = join(docsDir, "..");
export const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** A request a directive sends, and what it expects back. */
export interface Expected {
  method?: string;
  path: string;
  body?: string;
  status: number;
  json?: unknown;
  text?: string;
}

/** Writes a block's code to `dir/file` (creating folders) and returns the path. */
export async function writeBlock(dir: string, file: string, code: string): Promise<string> {
  const path = join(dir, file);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, code);
  return path;
}

/** Checks a response against what a directive expects. */
export async function expectResponse(response: Response, want: Expected, where: string): Promise<void> {
  const text = await response.text();
  expect(response.status, `${where}: ${want.method ?? "GET"} ${want.path} -> ${text}`).toBe(want.status);
  if (want.json !== undefined) expect(JSON.parse(text), where).toMatchObject(want.json as object);
  if (want.text !== undefined) expect(text, where).toBe(want.text);
}

/** Validates a `manifest` block against the cosmo.json schema (or expects the error code it names). */
export function checkManifest(block: Block): unknown {
  const data = JSON.parse(block.code) as unknown;
  const invalid = block.directive?.invalid as string | undefined;
  if (invalid === undefined) return validateManifest(data, `docs/${block.page}:${block.line}`);
  let thrown: unknown;
  try {
    validateManifest(data, "example");
  } catch (error) {
    thrown = error;
  }
  expect(isCosmoError(thrown) && thrown.code, `${block.page}:${block.line} should be refused`).toBe(invalid);
  const message = block.directive?.message as string | undefined;
  if (message !== undefined) expect((thrown as Error).message).toContain(message);
  return undefined;
}

/** Imports a plugin block (TS through vitest's transform), mounts it and sends the requests. */
export async function runPlugin(block: Block, file: string, groupDir: string): Promise<void> {
  const d = block.directive as Record<string, unknown>;
  const ns = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const exported = ns[(d.export as string | undefined) ?? "default"];
  const plugin = typeof exported === "function" ? new (exported as new () => object)() : exported;
  const manifest = (d.manifest as Record<string, unknown> | undefined) ?? JSON.parse(await readFile(join(groupDir, "cosmo.json"), "utf8"));
  const host = await mountPlugin(plugin as never, { manifest, config: d.config as Record<string, unknown>, logger: quiet });
  try {
    expect(host.error, `${block.page}:${block.line}`).toBeUndefined();
    expect(host.status).toBe("active");
    for (const want of (d.requests as Expected[] | undefined) ?? []) {
      const response = await host.fetch(want.path, { method: want.method ?? "GET", body: want.body });
      await expectResponse(response, want, `${block.page}:${block.line}`);
    }
  } finally {
    await host.close();
  }
}

/** TS to an ES module node runs as is. */
export async function toModule(code: string, lang: string): Promise<string> {
  if (lang !== "ts") return code;
  return (await transform(code, { loader: "ts", format: "esm", target: "node20" })).code;
}

/** A finished child process. */
export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (with a time limit). */
export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, NO_COLOR: "1", ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} did not finish in time\n${stdout}\n${stderr}`));
    }, options.timeout ?? 45_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The vitest CLI of this repository, for running a plugin's own test file the way its author would. */
export const vitestBin = join(dirname(require.resolve("vitest/package.json")), "vitest.mjs");

/** Starts a server block with PORT=0, waits for its "listening on <url>" line, and returns how to stop it. */
export async function startServer(file: string, cwd: string): Promise<{ url: string; stop(): Promise<Finished> }> {
  const child = spawn(process.execPath, [file], { cwd, env: { ...process.env, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" line in 15 s\n${stdout}\n${stderr}`)), 15_000);
    child.stdout.on("data", () => {
      const match = stdout.match(/listening on (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    void exited.then(() => reject(new Error(`exited before listening\n${stdout}\n${stderr}`)));
  });
  return {
    url,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      const code = await exited;
      return { code, stdout, stderr };
    },
  };
}

/** Copies package dirs (paths from the repository root) into `<dir>/node_modules/<name>`. */
export async function installInto(dir: string, packages: string[]): Promise<void> {
  for (const pkg of packages) {
    const from = join(repoDir, pkg);
    const { name } = JSON.parse(await readFile(join(from, "package.json"), "utf8")) as { name: string };
    await cp(from, join(dir, "node_modules", name), { recursive: true });
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const BUNDLE_ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

/**
 * Compares a shown response with a real one: every key shown exists, with the same type; strings
 * are equal unless the shown one holds "…" (elided) or is an id, a timestamp or a bundle id, which
 * must then have that form; numbers may differ.
 */
export function matchesShape(shown: unknown, actual: unknown, path = "$"): string[] {
  if (shown === null || typeof shown === "boolean") return shown === actual ? [] : [`${path}: shown ${shown}, got ${JSON.stringify(actual)}`];
  if (typeof shown === "number") return typeof actual === "number" ? [] : [`${path}: shown a number, got ${JSON.stringify(actual)}`];
  if (typeof shown === "string") {
    if (typeof actual !== "string") return [`${path}: shown a string, got ${JSON.stringify(actual)}`];
    if (shown.includes("…")) return [];
    for (const form of [UUID, ISO, BUNDLE_ID]) if (form.test(shown)) return form.test(actual) ? [] : [`${path}: ${actual} is not like ${shown}`];
    return shown === actual ? [] : [`${path}: shown ${JSON.stringify(shown)}, got ${JSON.stringify(actual)}`];
  }
  if (Array.isArray(shown)) {
    if (!Array.isArray(actual)) return [`${path}: shown an array, got ${JSON.stringify(actual)}`];
    if (actual.length < shown.length) return [`${path}: shown ${shown.length} items, got ${actual.length}`];
    return shown.flatMap((item, i) => matchesShape(item, actual[i], `${path}[${i}]`));
  }
  if (typeof actual !== "object" || actual === null || Array.isArray(actual)) return [`${path}: shown an object, got ${JSON.stringify(actual)}`];
  return Object.entries(shown as Record<string, unknown>).flatMap(([key, value]) =>
    key in actual ? matchesShape(value, (actual as Record<string, unknown>)[key], `${path}.${key}`) : [`${path}.${key}: missing`],
  );
}
