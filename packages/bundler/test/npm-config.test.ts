import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadNpmConfig } from "../src/npm-config";

// Every layer npm reads, in a temp dir: builtin (npmPath/npmrc), global, user (HOME/.npmrc),
// project (<project>/.npmrc). Nothing of the machine's own npm config leaks in.
let root: string;
let home: string;
let project: string;
let npmPath: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "cosmo-npmrc-"));
  home = join(root, "home");
  project = join(root, "project");
  npmPath = join(root, "npm");
  for (const dir of [home, project, npmPath]) await mkdir(dir, { recursive: true });
  await writeFile(join(project, "package.json"), JSON.stringify({ name: "host" }));
  env = { HOME: home, PATH: process.env.PATH, npm_config_globalconfig: join(root, "global-npmrc") };
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const load = (extra: { env?: NodeJS.ProcessEnv; overrides?: Record<string, unknown>; cwd?: string } = {}) =>
  loadNpmConfig({ cwd: extra.cwd ?? project, env: { ...env, ...extra.env }, overrides: extra.overrides, npmPath });

describe("loadNpmConfig", () => {
  it("reads registry, a scoped registry and its token from the user's .npmrc", async () => {
    await writeFile(
      join(home, ".npmrc"),
      ["registry=http://127.0.0.1:4999/", "@acme:registry=http://127.0.0.1:5000/", "//127.0.0.1:5000/:_authToken=s3cret"].join("\n"),
    );
    const flat = await load();
    expect(flat.registry).toBe("http://127.0.0.1:4999/");
    expect(flat["@acme:registry"]).toBe("http://127.0.0.1:5000/");
    expect(flat["//127.0.0.1:5000/:_authToken"]).toBe("s3cret");
  });

  it("expands ${VAR} in a token from the environment, as npm does", async () => {
    await writeFile(join(home, ".npmrc"), "//127.0.0.1:5000/:_authToken=${ACME_TOKEN}\n");
    const flat = await load({ env: { ACME_TOKEN: "from-env" } });
    expect(flat["//127.0.0.1:5000/:_authToken"]).toBe("from-env");
  });

  it("ranks project .npmrc over user over global over builtin", async () => {
    await writeFile(join(npmPath, "npmrc"), "registry=http://127.0.0.1:1001/\nfetch-retries=7\n");
    await writeFile(join(root, "global-npmrc"), "registry=http://127.0.0.1:1002/\nfetch-timeout=1234\n");
    expect((await load()).registry).toBe("http://127.0.0.1:1002/");
    await writeFile(join(home, ".npmrc"), "registry=http://127.0.0.1:1003/\n");
    expect((await load()).registry).toBe("http://127.0.0.1:1003/");
    await writeFile(join(project, ".npmrc"), "registry=http://127.0.0.1:1004/\n");
    const flat = await load();
    expect(flat.registry).toBe("http://127.0.0.1:1004/");
    expect(flat.retry).toMatchObject({ retries: 7 });
    expect(flat.timeout).toBe(1234);
  });

  it("finds the project .npmrc from a directory inside the project", async () => {
    await writeFile(join(project, ".npmrc"), "registry=http://127.0.0.1:1004/\n");
    await mkdir(join(project, "src"));
    expect((await load({ cwd: join(project, "src") })).registry).toBe("http://127.0.0.1:1004/");
  });

  it("lets npm_config_* env override the files, and overrides beat env", async () => {
    await writeFile(join(project, ".npmrc"), "registry=http://127.0.0.1:1004/\n");
    const flat = await load({ env: { npm_config_registry: "http://127.0.0.1:2000/" } });
    expect(flat.registry).toBe("http://127.0.0.1:2000/");
    const over = await load({
      env: { npm_config_registry: "http://127.0.0.1:2000/" },
      overrides: { registry: "http://127.0.0.1:3000/" },
    });
    expect(over.registry).toBe("http://127.0.0.1:3000/");
  });

  it("maps offline, prefer-offline, prefer-online and strict-ssl to their flat names", async () => {
    await writeFile(join(home, ".npmrc"), "prefer-offline=true\nstrict-ssl=false\n");
    let flat = await load();
    expect(flat).toMatchObject({ preferOffline: true, offline: false, strictSSL: false });
    flat = await load({ env: { npm_config_offline: "true" } });
    expect(flat.offline).toBe(true);
    flat = await load({ overrides: { "prefer-online": true } });
    expect(flat.preferOnline).toBe(true);
  });

  it("points cache at the _cacache dir inside npm's cache, where pacote stores", async () => {
    const flat = await load({ env: { npm_config_cache: join(root, "npm-cache") } });
    expect(flat.cache).toBe(join(root, "npm-cache", "_cacache"));
    const byDefault = await load();
    expect(byDefault.cache).toBe(join(home, ".npm", "_cacache"));
  });

  it("defaults to npm's public registry when nothing is configured", async () => {
    const flat = await load();
    expect(flat.registry).toMatch(/^https:\/\//);
  });

  it("reads ca from the config and leaves the caller's env untouched", async () => {
    const ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
    const given = { ...env, npm_config_ca: ca };
    const copy = { ...given };
    const flat = await loadNpmConfig({ cwd: project, env: given, npmPath });
    expect(flat.ca).toEqual([ca]);
    expect(given).toEqual(copy);
  });
});
