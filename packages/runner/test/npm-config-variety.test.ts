/**
 * npm config, whatever the user set (issue 10, part 5): the public fixtures from the test
 * registry, and a scope served by a second registry that wants a token for it
 * (`@cosmo-private:registry=`, `//host:port/:_authToken=`), with
 * `omit-lockfile-registry-resolved=true` and `prefer-offline=true` in the same npmrc. Three
 * plugins of the scope install and apply in a row, through a running runner and through the CLI
 * with none; the token appears in no log, error, record, report or lockfile.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, onTestFailed } from "vitest";
import { freePort, registryEnv, startRunner, startTestRegistry, stopRunner, type CliProcess, type TestRegistry } from "@cosmo/test-kit";
import { api, cli, freshRequest } from "./helpers/e2e";

const SCOPE = "@cosmo-private";
const PLUGINS = ["alpha", "beta", "gamma"] as const;

/** Writes one scoped fixture plugin per name: `@cosmo-private/plugin-<name>`, answering GET /<name>/hello. */
async function writeScopedFixtures(dir: string): Promise<void> {
  for (const name of PLUGINS) {
    const pkg = join(dir, `${SCOPE.slice(1)}+plugin-${name}@1.0.0`);
    await mkdir(pkg, { recursive: true });
    await writeFile(join(pkg, "package.json"), JSON.stringify({ name: `${SCOPE}/plugin-${name}`, version: "1.0.0", type: "module", main: "index.js", license: "MIT" }));
    await writeFile(
      join(pkg, "cosmo.json"),
      JSON.stringify({ name: `plugin-${name}`, version: "1.0.0", plugin_class: "./index.js:Hello", requires_webhooks: true, webhook_prefix: `/${name}` }),
    );
    await writeFile(join(pkg, "index.js"), `export class Hello {\n  setup(ctx) {\n    ctx.route("GET", "/hello", () => ({ plugin: "${name}" }));\n  }\n}\n`);
  }
}

/** Every file under `dir` (symlinks not followed), for a search of the token. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

describe("npm config variety: a scoped registry with a token, omit-lockfile-registry-resolved, prefer-offline", { timeout: 240_000 }, () => {
  let root: string;
  let privateRegistry: TestRegistry;
  let token: string;
  let env: Record<string, string>;
  let npmDir: string;
  let runner: CliProcess & { url: string };
  let adminToken: string;
  /** Everything any process printed, and every answer body: searched for the token at the end. */
  const said: string[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "cosmo-npm-variety-"));
    await writeScopedFixtures(join(root, "fixtures"));
    privateRegistry = await startTestRegistry({
      fixturesDir: join(root, "fixtures"),
      users: { cosmo: "cosmo-test-password" },
      packages: { [`${SCOPE}/*`]: { access: "$authenticated", publish: "$authenticated" } },
      publishAs: "cosmo",
    });
    token = await privateRegistry.login("cosmo", "cosmo-test-password");
    const made = await registryEnv(inject("registryUrl"));
    npmDir = made.dir;
    env = made.env as Record<string, string>;
    const host = new URL(privateRegistry.url);
    await writeFile(
      env.npm_config_userconfig!,
      [
        `registry=${inject("registryUrl")}`,
        `${SCOPE}:registry=${privateRegistry.url}`,
        `//${host.host}/:_authToken=${token}`,
        "omit-lockfile-registry-resolved=true",
        "prefer-offline=true",
        "",
      ].join("\n"),
    );
    runner = await startRunner(["--port", String(await freePort()), "--data-dir", join(root, "runner")], env);
    adminToken = (await readFile(join(root, "runner", "admin-token"), "utf8")).trim();
  });
  afterAll(async () => {
    if (runner) await stopRunner(runner);
    await privateRegistry?.close();
    await rm(root, { recursive: true, force: true });
    await rm(npmDir, { recursive: true, force: true });
  });
  beforeEach(() => onTestFailed(() => console.error(`runner stdout:\n${runner.stdout()}\nrunner stderr:\n${runner.stderr()}`)));

  it("the scope really needs the token: without it the private registry refuses", async () => {
    const res = await fetch(`${privateRegistry.url}${SCOPE}%2fplugin-alpha`);
    expect([401, 403]).toContain(res.status);
    const ok = await fetch(`${privateRegistry.url}${SCOPE}%2fplugin-alpha`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
  });

  it("installs and applies three scoped plugins in a row through the runner, each served", async () => {
    for (const name of PLUGINS) {
      const added = await api(runner.url, "POST", "/plugins", { token: adminToken, body: { source: `${SCOPE}/plugin-${name}` } });
      expect(added.status).toBe(201);
      const installed = await api(runner.url, "POST", `/plugins/${added.body.id}/install`, { token: adminToken, body: { apply: true } });
      said.push(JSON.stringify(installed.body));
      expect(installed.status, JSON.stringify(installed.body)).toBe(200);
      expect(installed.body).toMatchObject({ version: "1.0.0", install_status: "installed" });
      for (const served of PLUGINS.slice(0, PLUGINS.indexOf(name) + 1)) {
        expect((await freshRequest(`${runner.url}/${served}/hello`)).body).toEqual({ plugin: served });
      }
    }
    const lock = JSON.parse(await readFile(join(root, "runner", "bundle", "package-lock.json"), "utf8"));
    for (const name of PLUGINS) expect(lock.packages[`node_modules/${SCOPE}/plugin-${name}`]).toMatchObject({ version: "1.0.0" });
    // A name the scope's registry does not hold: an error that names it, and no token in it.
    const missing = await api(runner.url, "POST", "/plugins", { token: adminToken, body: { source: `${SCOPE}/plugin-nowhere` } });
    const refused = await api(runner.url, "POST", `/plugins/${missing.body.id}/install`, { token: adminToken });
    said.push(JSON.stringify(refused.body));
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(refused.body)).toContain("plugin-nowhere");
    for (const path of ["/plugins", "/plugins/report"]) said.push(JSON.stringify((await api(runner.url, "GET", path, { token: adminToken })).body));
  });

  it("installs and applies the same three in a row through the CLI with no runner up", async () => {
    const dataDir = join(root, "cli");
    for (const name of PLUGINS) {
      const done = await cli(["plugins", "install", `${SCOPE}/plugin-${name}`, "--apply", "--json", "--data-dir", dataDir], env);
      said.push(done.stdout, done.stderr);
      expect(done.stderr).not.toContain("COSMO_E");
      expect(done.code).toBe(0);
    }
    const lock = JSON.parse(await readFile(join(dataDir, "bundle", "package-lock.json"), "utf8"));
    for (const name of PLUGINS) expect(lock.packages[`node_modules/${SCOPE}/plugin-${name}`]).toMatchObject({ version: "1.0.0" });
    const listed = await cli(["plugins", "list", "--json", "--data-dir", dataDir], env);
    said.push(listed.stdout, listed.stderr);
    expect(JSON.parse(listed.stdout).plugins.map((p: { install_status: string }) => p.install_status)).toEqual(["installed", "installed", "installed"]);
    const report = await cli(["report", "--json", "--data-dir", dataDir], env);
    said.push(report.stdout, report.stderr);
  });

  it("never shows the token: not in logs, errors, records, reports, lockfiles or any file of the data dirs", async () => {
    said.push(runner.stdout(), runner.stderr());
    for (const text of said) expect(text).not.toContain(token);
    for (const dir of [join(root, "runner"), join(root, "cli")]) {
      for (const file of await filesUnder(dir)) {
        if ((await stat(file)).size > 5_000_000) continue;
        expect((await readFile(file)).includes(token), file).toBe(false);
      }
    }
  });
});
