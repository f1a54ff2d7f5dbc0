/**
 * What the end-to-end test needs from the workspace: a generated plugin's dependencies linked
 * to the workspace's own copies, and npm run as a child process.
 *
 * Why links and not `npm install`: the test registry has no uplinks, so it cannot serve tsup,
 * vitest or typescript (nor @cosmo/core's own dependencies), and tests never reach a public
 * registry. So `node_modules` is laid out as npm would lay it out for the generated
 * package.json: `@cosmo/core` -> the workspace's packages/core (built), tsup/typescript/vitest
 * -> the workspace's installed copies, and `node_modules/.bin` holding their bins, so `npm run
 * build` and `npm test` run the generated scripts unchanged. write.test.ts checks that those
 * copies satisfy the ranges the template declares, so the links stand for a real install.
 */
import { spawn } from "node:child_process";
import { mkdir, readFile, symlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The workspace's @cosmo/core package dir. */
export const CORE_DIR = fileURLToPath(new URL("../../../core", import.meta.url));

const TOOLS = ["tsup", "typescript", "vitest"];

/** Links the generated plugin's dependencies (see the module comment) into `dir/node_modules`. */
export async function linkWorkspaceDependencies(dir: string): Promise<void> {
  const modules = join(dir, "node_modules");
  const bin = join(modules, ".bin");
  await mkdir(join(modules, "@cosmo"), { recursive: true });
  await mkdir(bin, { recursive: true });
  await symlink(CORE_DIR, join(modules, "@cosmo/core"), "dir");
  const require = createRequire(import.meta.url);
  for (const tool of TOOLS) {
    const manifestPath = require.resolve(`${tool}/package.json`);
    const toolDir = dirname(manifestPath);
    await symlink(toolDir, join(modules, tool), "dir");
    const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as { bin?: string | Record<string, string> };
    const bins = typeof manifest.bin === "string" ? { [tool]: manifest.bin } : (manifest.bin ?? {});
    for (const [name, file] of Object.entries(bins)) await symlink(relative(bin, join(modules, tool, file)), join(bin, name));
  }
}

/** An env for a child npm: `base` without the variables of the vitest run we are inside of. */
export function childEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // A nested vitest reading VITEST_* / TEST would think it is a worker of ours.
  return Object.fromEntries(Object.entries(base).filter(([key]) => !/^(VITEST|TEST$|NODE_ENV$)/.test(key)));
}

/** Runs `npm ...args` in `cwd` to its exit; resolves with its code and output. */
export function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runProcess("npm", args, cwd, env);
}

/** Runs a command in `cwd` to its exit; resolves with its code and output. */
export function runProcess(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}
