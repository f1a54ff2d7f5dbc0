/**
 * The README's quick start, run as written: its `shell` blocks are pasted into terminals (a runner
 * in the first, the client commands in the second) from the root of this repository, with a fresh
 * HOME so `~/.local/share/cosmo` is new, and the last line must be the plugin's webhook answering.
 *
 * The README says 127.0.0.1:3000, so the blocks run in a network namespace of their own (its own
 * loopback, nothing else listening, no registry needed: the plugin comes from this repository).
 * Where no namespace can be made, they run on this machine's loopback if port 3000 is free.
 */
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { requireBinaries } from "@cosmo/test-kit";
import { readBlocks } from "./pages";
import { repoDir } from "./run";

const blocks = readBlocks("../README.md").filter((b) => b.directive?.kind === "shell");
const driver = join(repoDir, "docs", "test", "terminals.mjs");

/** `unshare -rn` works here (root, or unprivileged user namespaces) and `ip` can raise lo. */
const namespaces = spawnSync("unshare", ["-rn", "sh", "-c", "ip link set lo up"], { stdio: "ignore" }).status === 0;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

const canRun = namespaces || (await portFree(3000));
if (!canRun) {
  const why = "no network namespace can be made here (unshare -rn, ip) and port 3000 is taken";
  if (requireBinaries) throw new Error(`the README quick start test must run under COSMO_TEST_REQUIRE_BINARIES=1, but ${why}`);
  console.warn(`SKIPPED the README quick start test: ${why}. To run it: free port 3000, or run as root (apt-get install util-linux iproute2)`);
}

/**
 * Runs with the environment of a reader's fresh shell: a HOME, a PATH, a TERM. Nothing of this
 * test run's own (npm_config_* from `npm test`, COSMO_*, XDG_*) leaks in.
 */
function clean(command: string, args: string[], home: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { HOME: home, PATH: process.env.PATH ?? "/usr/bin:/bin", TERM: "dumb", NO_COLOR: "1" };
    const child = spawn(command, args, { cwd: repoDir, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

const cleanup: string[] = [];
afterAll(async () => {
  for (const path of cleanup) await rm(path, { recursive: true, force: true });
});

describe.skipIf(!canRun)("README quick start, pasted as written", () => {
  it("has a runner terminal and a client terminal", () => {
    expect(blocks.map((b) => b.directive?.terminal)).toEqual(["runner", "client"]);
  });

  it("ends with the plugin's webhook answering", async () => {
    const home = await mkdtemp(join(tmpdir(), "cosmo-readme-home-"));
    cleanup.push(home, join(repoDir, "cosmo-plugin-smart-switch-1.0.0.tgz"));
    const plan = join(home, "plan.json");
    await writeFile(plan, JSON.stringify({ cwd: repoDir, terminals: blocks.map((b) => ({ code: b.code, ready: b.directive?.ready })) }));
    const [command, args] = namespaces
      ? ["unshare", ["-rn", "sh", "-c", `ip link set lo up && exec "${process.execPath}" "${driver}" "${plan}"`]]
      : [process.execPath, [driver, plan]];
    const result = await clean(command as string, args as string[], home);
    expect(result.code, result.stderr).toBe(0);
    const [runner, client] = JSON.parse(result.stdout) as { output: string; code: number | null; stopped?: { code: number | null; signal: string | null } }[];
    const transcript = `runner:\n${runner?.output}\nclient:\n${client?.output}`;
    expect(client?.code, transcript).toBe(0);
    expect(runner?.output, transcript).toContain(`saved to ${home}/.local/share/cosmo/admin-token`);
    const last = client?.output.trim().split("\n").at(-1) ?? "";
    expect(last, transcript).toMatch(new RegExp(String(blocks[1]?.directive?.stdout)));
    expect(JSON.parse(last)).toMatchObject({ device: "switch", on: true, changes: 1, changed_by: "toggle" });
    expect([0, 130, "SIGINT"], `the runner stops on Ctrl-C\n${transcript}`).toContain(runner?.stopped?.code ?? runner?.stopped?.signal);
  }, 150_000);
});
