/**
 * A plugin from a git repository (issue 10, part 6: sources that pass the check also apply).
 * Only the npm registry is reachable from a test machine, so the repository is a local one
 * reached as `git+file://`. With the opt-in (`--allow-git`) it checks, installs, applies and
 * serves; without it the check refuses it with COSMO_E_SOURCE_FORBIDDEN before fetching anything.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, onTestFailed } from "vitest";
import { fixturesDir, freePort, registryEnv, startRunner, stopRunner, systemBinary, type CliProcess } from "@cosmo/test-kit";
import { api, cli, freshRequest } from "./helpers/e2e";

const git = systemBinary("git", "the git source tests", "apt-get install git");
const run = promisify(execFile);

describe.skipIf(!git.available)("a plugin from a git repository", { timeout: 180_000 }, () => {
  let root: string;
  let env: Record<string, string>;
  let npmDir: string;
  let source: string;
  let runner: CliProcess & { url: string };
  let token: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "cosmo-git-source-"));
    const made = await registryEnv(inject("registryUrl"));
    env = made.env as Record<string, string>;
    npmDir = made.dir;
    // A repository holding plugin-versions 1.1.0 (no dependencies, no build), tagged.
    const repo = join(root, "plugin-versions");
    await cp(join(fixturesDir, "plugin-versions@1.1.0"), repo, { recursive: true });
    const inRepo = (...args: string[]) => run(git.path!, ["-c", "user.name=Cosmo Test", "-c", "user.email=test@cosmo.invalid", "-c", "init.defaultBranch=main", ...args], { cwd: repo });
    await inRepo("init", "-q");
    await inRepo("add", ".");
    await inRepo("commit", "-q", "-m", "plugin-versions 1.1.0");
    await inRepo("tag", "v1.1.0");
    source = `git+file://${repo}#v1.1.0`;
    runner = await startRunner(["--port", String(await freePort()), "--data-dir", join(root, "data"), "--allow-git"], env);
    token = (await readFile(join(root, "data", "admin-token"), "utf8")).trim();
  });
  afterAll(async () => {
    if (runner) await stopRunner(runner);
    await rm(root, { recursive: true, force: true });
    await rm(npmDir, { recursive: true, force: true });
  });
  beforeEach(() => onTestFailed(() => console.error(`runner stdout:\n${runner?.stdout()}\nrunner stderr:\n${runner?.stderr()}`)));

  it("refuses the git source at check time without the opt-in: COSMO_E_SOURCE_FORBIDDEN naming --allow-git", async () => {
    const refused = await cli(["check", source, "--json", "--data-dir", join(root, "no-opt-in")], env);
    expect(refused.code).toBe(5);
    const body = JSON.parse(refused.stdout);
    expect(body.error.code).toBe("COSMO_E_SOURCE_FORBIDDEN");
    expect(JSON.stringify(body.error)).toContain("--allow-git");
  });

  it("checks it with the opt-in (the CLI's --allow-git)", async () => {
    const checked = await cli(["check", source, "--allow-git", "--json", "--data-dir", join(root, "cli-check")], env);
    expect(checked.stderr).not.toContain("COSMO_E");
    expect(checked.code).toBe(0);
    expect(JSON.parse(checked.stdout)).toMatchObject({ ok: true });
  });

  it("installs, applies and serves it on a runner started with --allow-git", async () => {
    const created = await api(runner.url, "POST", "/plugins", { token, body: { source } });
    expect(created.status).toBe(201);
    const installed = await api(runner.url, "POST", `/plugins/${created.body.id}/install`, { token, body: { apply: true } });
    expect(installed.status, JSON.stringify(installed.body)).toBe(200);
    expect(installed.body).toMatchObject({ name: "plugin-versions", install_status: "installed" });
    expect((await freshRequest(`${runner.url}/versions/version`)).body).toEqual({ version: "1.1.0" });
    // The lockfile says where it came from: the repository, at the tag's commit.
    const lock = JSON.parse(await readFile(join(root, "data", "bundle", "package-lock.json"), "utf8"));
    expect(String(lock.packages["node_modules/plugin-versions"].resolved)).toMatch(/^git\+file:\/\/.*#[0-9a-f]{40}$/);
  });
});
