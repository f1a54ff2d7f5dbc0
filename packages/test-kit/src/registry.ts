/**
 * A real npm registry for tests: verdaccio on 127.0.0.1, storage in a temp dir, no uplinks (a
 * package the fixtures do not hold is a 404, never a trip to a public registry), anyone may
 * read and publish. Every fixture package under a fixtures dir is packed with pacote and
 * published with one PUT, the request `npm publish` makes, so starting and publishing ~20
 * fixtures takes well under a second.
 *
 * Fixture layout (see test/fixtures/README.md): each direct subdirectory of `fixturesDir` that
 * holds a package.json is one published version. Its package.json decides name and version; the
 * directory is named `<name>@<version>` (`@scope+name@1.0.0` for scoped names) so several
 * versions of a package sit side by side. A package.json may carry
 * `"cosmoFixture": { "deleteTarball": true }`: the version is published, then its tarball is
 * deleted from storage, so its packument resolves and its tarball 404s (a sync failing half-way).
 */
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Arborist from "@npmcli/arborist";
import pacote from "pacote";
import semver from "semver";

// verdaccio is CommonJS with no ESM entry; createRequire keeps vite from trying to bundle it.
const require = createRequire(import.meta.url);

/** A running test registry. */
export interface TestRegistry {
  /** Base URL with a trailing slash, e.g. `http://127.0.0.1:40123/`, as npm writes registries. */
  url: string;
  /** verdaccio's storage dir: `<storageDir>/<name>/<name>-<version>.tgz` and its packument. */
  storageDir: string;
  /** The packages published, as `name@version`. */
  published: string[];
  /** Logs a user in as `npm login` does and resolves to the token npm would keep (`_authToken`). */
  login(user: string, password: string): Promise<string>;
  /** Stops the server and removes its temp dir. */
  close(): Promise<void>;
}

/** Options of {@link startTestRegistry}. */
export interface StartTestRegistryOptions {
  /** Directory whose subdirectories are fixture packages; absent = publish nothing. */
  fixturesDir?: string;
  /** Users (name -> password) in the registry's htpasswd; they log in with `TestRegistry.login`. */
  users?: Record<string, string>;
  /**
   * Package rules placed before the open default (anyone reads and publishes), e.g.
   * `{ "@private/*": { access: "$authenticated", publish: "$authenticated" } }` for a scope
   * that needs a token. Fixtures are then published as `publishAs`.
   */
  packages?: Record<string, { access: string; publish: string }>;
  /** The user (of `users`) whose token publishes the fixtures. */
  publishAs?: string;
}

interface FixtureManifest {
  name: string;
  version: string;
  cosmoFixture?: { deleteTarball?: boolean };
  [key: string]: unknown;
}

interface Fixture {
  dir: string;
  manifest: FixtureManifest;
}

/**
 * Starts verdaccio on an ephemeral loopback port and publishes every fixture package.
 * @example const registry = await startTestRegistry({ fixturesDir }); ... await registry.close();
 */
export async function startTestRegistry(options: StartTestRegistryOptions = {}): Promise<TestRegistry> {
  const root = await mkdtemp(join(tmpdir(), "cosmo-registry-"));
  const storageDir = join(root, "storage");
  const { runServer } = require("verdaccio") as { runServer: (config: object) => Promise<Server> };
  const access = { access: "$all", publish: "$all", unpublish: "$all" };
  // htpasswd's {SHA} form: verdaccio's htpasswd plugin reads it, and it needs no bcrypt here.
  const users = Object.entries(options.users ?? {});
  const sha = (password: string) => `{SHA}${createHash("sha1").update(password).digest("base64")}`;
  await writeFile(join(root, "htpasswd"), users.map(([name, password]) => `${name}:${sha(password)}:autocreated ${new Date().toISOString()}\n`).join(""));
  const rules = Object.fromEntries(Object.entries(options.packages ?? {}).map(([glob, rule]) => [glob, { ...rule, unpublish: rule.publish }]));
  const server = await runServer({
    self_path: join(root, "config.yaml"),
    storage: storageDir,
    uplinks: {},
    packages: { ...rules, "@*/*": access, "**": access },
    auth: { htpasswd: { file: join(root, "htpasswd"), max_users: -1 } },
    web: { enable: false },
    // Only real trouble reaches the test output.
    log: { type: "stdout", format: "pretty", level: "error" },
    // The 10 MB default is ample, but say it: fixtures are tiny and a big one is a mistake.
    max_body_size: "10mb",
  });
  const url = await listen(server);
  // Where deleted tarballs point (see deleteTarball): answers 404 to everything.
  const gone = createServer((_req, res) => res.writeHead(404).end());
  const goneUrl = await listen(gone);

  const close = async (): Promise<void> => {
    await Promise.all([stop(server), stop(gone)]);
    await rm(root, { recursive: true, force: true });
  };

  const login = async (user: string, password: string): Promise<string> => {
    const res = await fetch(`${url}-/user/org.couchdb.user:${encodeURIComponent(user)}`, {
      method: "PUT",
      // Basic credentials make verdaccio log an existing user in (without them it tries to add one: 409).
      headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` },
      body: JSON.stringify({ _id: `org.couchdb.user:${user}`, name: user, password, type: "user", roles: [] }),
    });
    const body = (await res.json().catch(() => ({}))) as { token?: string };
    if (!res.ok || !body.token) throw new Error(`logging ${user} in to the test registry failed: ${res.status}`);
    return body.token;
  };

  try {
    const fixtures = options.fixturesDir === undefined ? [] : await readFixtures(options.fixturesDir);
    const publisher = options.publishAs;
    const token = publisher === undefined ? undefined : await login(publisher, options.users?.[publisher] ?? "");
    const published = await publishAll({ url, goneUrl, storageDir, cache: join(root, "cache"), token }, fixtures);
    return { url, storageDir, published, login, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Listens on an ephemeral loopback port; resolves to the base URL (trailing slash). */
async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the test registry did not get a TCP port");
  return `http://127.0.0.1:${address.port}/`;
}

/** Closes a server, dropping keep-alive sockets (npm clients keep them) that would hold it open. */
async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Every fixture package under `fixturesDir`, read from its package.json. */
async function readFixtures(fixturesDir: string): Promise<Fixture[]> {
  const entries = await readdir(fixturesDir, { withFileTypes: true });
  const fixtures: Fixture[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const dir = join(fixturesDir, entry.name);
    let text: string;
    try {
      text = await readFile(join(dir, "package.json"), "utf8");
    } catch {
      continue; // a folder of helpers, not a package
    }
    fixtures.push({ dir, manifest: JSON.parse(text) as FixtureManifest });
  }
  return fixtures;
}

/**
 * Publishes the fixtures: packages in parallel, the versions of one package in semver order
 * (each PUT merges into the packument, so `latest` ends on the highest version).
 */
interface PublishTarget {
  url: string;
  goneUrl: string;
  storageDir: string;
  /** pacote's cache while packing: the registry's own, never the user's ~/.npm. */
  cache: string;
  /** Sent as `Authorization: Bearer` with each publish (a registry whose packages need a user). */
  token?: string;
}

async function publishAll({ url, goneUrl, storageDir, cache, token }: PublishTarget, fixtures: Fixture[]): Promise<string[]> {
  const byName = new Map<string, Fixture[]>();
  for (const f of fixtures) byName.set(f.manifest.name, [...(byName.get(f.manifest.name) ?? []), f]);
  const published: string[] = [];
  await Promise.all(
    [...byName.values()].map(async (versions) => {
      versions.sort((a, b) => semver.compare(a.manifest.version, b.manifest.version));
      for (const fixture of versions) {
        await publishOne(url, cache, fixture, token);
        if (fixture.manifest.cosmoFixture?.deleteTarball) await deleteTarball(goneUrl, storageDir, fixture.manifest);
        published.push(`${fixture.manifest.name}@${fixture.manifest.version}`);
      }
    }),
  );
  return published.sort();
}

/** The tarball's file name as registries name it: `<name without scope>-<version>.tgz`. */
function tarballName(manifest: FixtureManifest): string {
  return `${manifest.name.replace(/^@[^/]+\//, "")}-${manifest.version}.tgz`;
}

/** Packs one fixture dir and PUTs it as `npm publish` does (packument + base64 attachment). */
async function publishOne(url: string, cache: string, { dir, manifest }: Fixture, token?: string): Promise<void> {
  // ignoreScripts: a fixture's `prepare` (the scripts fixture has one) must not run at pack time.
  const tarball = await pacote.tarball(`file:${dir}`, { Arborist, ignoreScripts: true, cache });
  const { name, version } = manifest;
  const file = tarballName(manifest);
  const tarballUrl = `${url}${name}/-/${file}`;
  const body = {
    _id: name,
    name,
    "dist-tags": { latest: version },
    versions: {
      [version]: {
        ...manifest,
        _id: `${name}@${version}`,
        dist: {
          integrity: String(tarball.integrity),
          shasum: createHash("sha1").update(tarball).digest("hex"),
          tarball: tarballUrl,
        },
      },
    },
    _attachments: {
      [file]: { content_type: "application/octet-stream", data: tarball.toString("base64"), length: tarball.length },
    },
  };
  const res = await fetch(`${url}${name.replace("/", "%2f")}`, {
    method: "PUT",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`publishing ${name}@${version} to the test registry failed: ${res.status} ${await res.text()}`);
}

/**
 * Deletes a published tarball from verdaccio's storage so its packument resolves and the
 * download answers 404. Deleting the file alone is not enough: verdaccio then fetches the
 * version's stored `dist.tarball` URL, which is itself: a loop it answers 508, surfacing as a
 * 500 that npm clients retry for a minute. Pointing that URL at `goneUrl`, a server that
 * answers 404 to everything, makes verdaccio answer a plain 404 too.
 */
async function deleteTarball(goneUrl: string, storageDir: string, manifest: FixtureManifest): Promise<void> {
  const file = tarballName(manifest);
  const dir = join(storageDir, manifest.name);
  await unlink(join(dir, file));
  const packumentFile = join(dir, "package.json");
  const packument = JSON.parse(await readFile(packumentFile, "utf8")) as {
    versions: Record<string, { dist: { tarball: string } }>;
  };
  const version = packument.versions[manifest.version];
  if (version === undefined) throw new Error(`${manifest.name}@${manifest.version} is missing from its packument`);
  version.dist.tarball = `${goneUrl}${manifest.name}/-/${file}`;
  await writeFile(packumentFile, JSON.stringify(packument, null, "\t"));
}

/**
 * Packs one more package dir (a built example, say) and publishes it to a running test
 * registry, as the fixtures are. Publishing the same version again is not an error: test files
 * of one run share one registry, and each may publish what it needs.
 * @example await publishDirectory(inject("registryUrl"), exampleDir)
 * @returns `name@version` of what is published
 */
export async function publishDirectory(url: string, dir: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as FixtureManifest;
  const id = `${manifest.name}@${manifest.version}`;
  const existing = await fetch(`${url}${manifest.name.replace("/", "%2f")}`);
  if (existing.ok && (await existing.json() as { versions?: Record<string, unknown> }).versions?.[manifest.version]) return id;
  const cache = await mkdtemp(join(tmpdir(), "cosmo-publish-"));
  try {
    await publishOne(url, cache, { dir, manifest });
  } catch (error) {
    // Another test file published it between our look and our PUT: verdaccio answers 409.
    if (!/failed: 409/.test(String(error))) throw error;
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
  return id;
}

/**
 * Environment for a spawned npm (or any npm-config reader) that can only reach the test
 * registry: registry set, a throwaway userconfig and cache, no global npmrc from the machine.
 */
export async function registryEnv(
  url: string,
  base: NodeJS.ProcessEnv = process.env,
): Promise<{ env: NodeJS.ProcessEnv; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), "cosmo-npmrc-"));
  const userconfig = join(dir, "npmrc");
  await writeFile(userconfig, `registry=${url}\n`);
  const env: NodeJS.ProcessEnv = {};
  // Drop every inherited npm_config_* (an npm script sets many, some naming a registry).
  for (const [key, value] of Object.entries(base)) if (!/^npm_config_/i.test(key)) env[key] = value;
  Object.assign(env, {
    npm_config_registry: url,
    npm_config_userconfig: userconfig,
    npm_config_globalconfig: join(dir, "global-npmrc"),
    npm_config_cache: join(dir, "cache"),
    npm_config_update_notifier: "false",
    npm_config_audit: "false",
    npm_config_fund: "false",
  });
  return { env, dir };
}
