/**
 * Offline bundles end to end: a plugin set exported from one data dir (CLI and admin API) and
 * imported into another whose npm config reaches no registry at all; the second runner serves
 * the same routes from the same lockfile.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { registryEnv, freePort, startRunner, stopRunner, type CliProcess } from "@cosmo/test-kit";
import { cli, freshRequest } from "./helpers/e2e";

type Lock = { packages: Record<string, { version?: string; integrity?: string; link?: boolean }> };
const installedEntries = (lock: Lock) =>
  Object.fromEntries(Object.entries(lock.packages).filter(([l, e]) => l !== "" && !e.link).map(([l, e]) => [l, [e.version, e.integrity]]));

describe("export and import: the same plugin set on a machine with no registry", { timeout: 120_000 }, () => {
  let root: string;
  let online: Record<string, string>;
  let offline: Record<string, string>;
  let runners: Array<CliProcess & { url: string }> = [];
  const dirA = () => join(root, "a");
  const dirB = () => join(root, "b");

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "cosmo-offline-e2e-"));
    online = (await registryEnv(inject("registryUrl"))).env as Record<string, string>;
    // Port 9 (discard) on loopback: nothing listens, so any registry request fails at once.
    offline = (await registryEnv("http://127.0.0.1:9/")).env as Record<string, string>;
  });
  afterAll(async () => {
    for (const runner of runners) await stopRunner(runner);
    await rm(root, { recursive: true, force: true });
  });

  it("exports the set with the CLI and the admin API, and imports it offline: the same routes are served", async () => {
    for (const source of ["plugin-ok", "plugin-versions"]) {
      expect(await cli(["plugins", "install", source, "--data-dir", dirA()], online)).toMatchObject({ code: 0 });
    }
    expect(await cli(["apply", "--data-dir", dirA()], online)).toMatchObject({ code: 0 });
    const a = await startRunner(["--port", String(await freePort()), "--data-dir", dirA()], online);
    runners.push(a);
    const servedA = [(await freshRequest(`${a.url}/ok/ping`)).body, (await freshRequest(`${a.url}/versions/version`)).body];
    expect(servedA[1]).toEqual({ version: "1.2.0" });

    const archive = join(root, "plugins.tgz");
    const exported = await cli(["export", archive, "--data-dir", dirA(), "--json"], online);
    expect(exported.code).toBe(0);
    // The set pins the exact versions the checks chose (plugin-versions: 2.0.0 needs a future core).
    expect(JSON.parse(exported.stdout)).toMatchObject({ file: archive, sources: ["plugin-ok@1.0.0", "plugin-versions@1.2.0"] });

    // The admin API streams the same archive.
    const token = (await readFile(join(dirA(), "admin-token"), "utf8")).trim();
    const res = await fetch(`${a.url}/plugins/export`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/gzip");
    const viaApi = join(root, "via-api.tgz");
    await writeFile(viaApi, Buffer.from(await res.arrayBuffer()));

    for (const [dir, file] of [
      [dirB(), archive],
      [join(root, "c"), viaApi],
    ] as const) {
      const imported = await cli(["import", file, "--data-dir", dir, "--json"], offline);
      expect(imported.stderr).not.toContain("error");
      expect(imported.code).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({ sources: ["plugin-ok@1.0.0", "plugin-versions@1.2.0"], plugins: ["plugin-ok", "plugin-versions"] });
      const lockA = JSON.parse(await readFile(join(dirA(), "bundle", "package-lock.json"), "utf8")) as Lock;
      const lockB = JSON.parse(await readFile(join(dir, "bundle", "package-lock.json"), "utf8")) as Lock;
      expect(installedEntries(lockB)).toEqual(installedEntries(lockA));
      const b = await startRunner(["--port", String(await freePort()), "--data-dir", dir], offline);
      runners.push(b);
      expect([(await freshRequest(`${b.url}/ok/ping`)).body, (await freshRequest(`${b.url}/versions/version`)).body]).toEqual(servedA);
      const listed = await cli(["plugins", "list", "--json", "--data-dir", dir], offline);
      expect(JSON.parse(listed.stdout).plugins).toEqual([
        expect.objectContaining({ name: "plugin-ok", source: "plugin-ok", version: "1.0.0", install_status: "installed" }),
        expect.objectContaining({ name: "plugin-versions", source: "plugin-versions", version: "1.2.0", integrity: expect.stringMatching(/^sha512-/), install_status: "installed" }),
      ]);
    }
  });

  it("refuses a file that is no offline bundle with exit 1 and COSMO_E_IMPORT_INVALID, changing nothing", async () => {
    const junk = join(root, "junk.tgz");
    await writeFile(junk, "not an archive");
    const refused = await cli(["import", junk, "--data-dir", join(root, "d")], offline);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("COSMO_E_IMPORT_INVALID");
  });
});
