import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ADMIN_TOKEN_FILE, loadAdminToken, tokensEqual } from "../src/token";

describe("loadAdminToken", () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = join(await mkdtemp(join(tmpdir(), "cosmo-token-")), "data");
  });
  afterEach(async () => {
    await rm(join(dataDir, ".."), { recursive: true, force: true });
  });

  it("takes COSMO_ADMIN_TOKEN first and writes nothing", async () => {
    expect(await loadAdminToken({ dataDir, env: { COSMO_ADMIN_TOKEN: "from-env" } })).toEqual({ token: "from-env", source: "env", generated: false });
    await expect(stat(dataDir)).rejects.toThrow();
  });

  it("generates a token once, into a 0600 file in a new data dir, then reads it back", async () => {
    const first = await loadAdminToken({ dataDir, env: {} });
    expect(first.generated).toBe(true);
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const file = join(dataDir, ADMIN_TOKEN_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, "utf8")).trim()).toBe(first.token);
    expect(await readdir(dataDir)).toEqual([ADMIN_TOKEN_FILE]);

    const second = await loadAdminToken({ dataDir, env: {} });
    expect(second).toEqual({ token: first.token, source: "file", generated: false, file });
  });

  it("gives concurrent first starts the same token, and only one of them generates it", async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => loadAdminToken({ dataDir, env: {} })));
    expect(new Set(results.map((r) => r.token)).size).toBe(1);
    expect(results.filter((r) => r.generated)).toHaveLength(1);
    expect(await readdir(dataDir)).toEqual([ADMIN_TOKEN_FILE]);
  });

  it("reads a token a user put in the file, trimming the newline", async () => {
    await loadAdminToken({ dataDir, env: {} });
    await writeFile(join(dataDir, ADMIN_TOKEN_FILE), "mine\n");
    expect((await loadAdminToken({ dataDir, env: { COSMO_ADMIN_TOKEN: "" } })).token).toBe("mine");
  });

  it("refuses a token file other users can read, naming the chmod that fixes it", async () => {
    await loadAdminToken({ dataDir, env: {} });
    const file = join(dataDir, ADMIN_TOKEN_FILE);
    await chmod(file, 0o644);
    await expect(loadAdminToken({ dataDir, env: {} })).rejects.toMatchObject({
      code: "COSMO_E_ADMIN_TOKEN_INVALID",
      message: expect.stringContaining(`chmod 600 ${file}`),
    });
  });

  it("refuses an empty token file with COSMO_E_ADMIN_TOKEN_INVALID instead of accepting an empty token", async () => {
    await loadAdminToken({ dataDir, env: {} });
    await writeFile(join(dataDir, ADMIN_TOKEN_FILE), "\n");
    await expect(loadAdminToken({ dataDir, env: {} })).rejects.toMatchObject({ code: "COSMO_E_ADMIN_TOKEN_INVALID" });
  });
});

describe("tokensEqual", () => {
  it("accepts only the exact token, whatever the lengths", () => {
    expect(tokensEqual("abc", "abc")).toBe(true);
    expect(tokensEqual("abd", "abc")).toBe(false);
    expect(tokensEqual("ab", "abc")).toBe(false);
    expect(tokensEqual("", "abc")).toBe(false);
  });
});
