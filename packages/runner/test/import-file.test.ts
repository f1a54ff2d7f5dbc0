/**
 * Import files (`<dataDir>/plugins/import-*.tgz.tmp`): an import cut short by a kill left its
 * file behind for good. They are swept before each import (those whose writer is dead) and at
 * start (all: no runner is up on the data dir then).
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import { freePort, registryEnv, startRunner, stopRunner } from "@cosmo/test-kit";
import { importFilePath, sweepImportFiles } from "../src/operations/import-file";

let dataDir: string;
const plugins = () => join(dataDir, "plugins");
const leave = async (name: string) => {
  await mkdir(plugins(), { recursive: true });
  await writeFile(join(plugins(), name), "cut short");
};

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await once(child, "exit");
  return child.pid!;
}

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "cosmo-import-file-"));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe("sweepImportFiles", () => {
  it("removes the files of dead writers and keeps those of live ones, this process's and other files", async () => {
    const dead = await deadPid();
    const live = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    try {
      await leave(`import-${dead}-00aa11bb22cc.tgz.tmp`);
      await leave(`import-${live.pid}-00aa11bb22cc.tgz.tmp`);
      const mine = importFilePath(dataDir);
      await writeFile(mine, "in progress");
      await leave("installed_plugins.txt");
      await leave(`import-${dead}-00aa11bb22cc.tgz`);
      expect(await sweepImportFiles(dataDir)).toEqual([`import-${dead}-00aa11bb22cc.tgz.tmp`]);
      expect((await readdir(plugins())).sort()).toEqual(
        [`import-${dead}-00aa11bb22cc.tgz`, `import-${live.pid}-00aa11bb22cc.tgz.tmp`, mine.split("/").at(-1)!, "installed_plugins.txt"].sort(),
      );
    } finally {
      live.kill("SIGKILL");
    }
  });

  it("removes a file named without a pid once it is an hour old", async () => {
    await leave("import-00aa11bb22cc.tgz.tmp");
    await leave("import-ddeeff001122.tgz.tmp");
    const old = new Date(Date.now() - 2 * 60 * 60_000);
    await utimes(join(plugins(), "import-00aa11bb22cc.tgz.tmp"), old, old);
    expect(await sweepImportFiles(dataDir)).toEqual(["import-00aa11bb22cc.tgz.tmp"]);
    expect(await readdir(plugins())).toEqual(["import-ddeeff001122.tgz.tmp"]);
  });

  it("removes every import file with `all`, and answers nothing for a data dir with no plugins dir", async () => {
    expect(await sweepImportFiles(dataDir, { all: true })).toEqual([]);
    await leave(`import-${process.pid}-00aa11bb22cc.tgz.tmp`);
    await leave("import-00aa11bb22cc.tgz.tmp");
    expect(await sweepImportFiles(dataDir, { all: true })).toHaveLength(2);
    expect(await readdir(plugins())).toEqual([]);
  });
});

describe("a runner and the import files left behind", { timeout: 120_000 }, () => {
  let env: Record<string, string>;
  let npmDir: string;
  afterAll(async () => {
    if (npmDir) await rm(npmDir, { recursive: true, force: true });
  });

  it("sweeps them at start, and before an import (which leaves none of its own, even refused)", async () => {
    const made = await registryEnv(inject("registryUrl"));
    env = made.env as Record<string, string>;
    npmDir = made.dir;
    await leave(`import-${process.pid}-00aa11bb22cc.tgz.tmp`);
    const runner = await startRunner(["--port", String(await freePort()), "--data-dir", dataDir], env);
    try {
      expect((await readdir(plugins())).filter((n) => n.startsWith("import-"))).toEqual([]);
      const name = `import-${await deadPid()}-00aa11bb22cc.tgz.tmp`;
      await leave(name);
      const token = (await readFile(join(dataDir, "admin-token"), "utf8")).trim();
      const res = await fetch(`${runner.url}/plugins/import`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/gzip" },
        body: "not an archive",
      });
      expect(res.status).toBe(422);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("COSMO_E_IMPORT_INVALID");
      expect((await readdir(plugins())).filter((n) => n.startsWith("import-"))).toEqual([]);
    } finally {
      await stopRunner(runner);
    }
  });
});
