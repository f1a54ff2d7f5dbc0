import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readHost } from "../src/index";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function pkg(dir: string, json: Record<string, unknown>): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), JSON.stringify(json));
}

describe("readHost", () => {
  it("links a host dependency hoisted into a parent node_modules, as npx and workspaces install them", async () => {
    // <top>/node_modules/{host-app, lib-a}: npm hoists the host's dependency next to it.
    const top = await realpath(await mkdtemp(join(tmpdir(), "cosmo-host-")));
    dirs.push(top);
    const host = join(top, "node_modules", "host-app");
    await pkg(host, { name: "host-app", version: "1.0.0", dependencies: { "lib-a": "^1.0.0", "@cosmo/core": "*" } });
    await pkg(join(top, "node_modules", "lib-a"), { name: "lib-a", version: "1.2.0" });
    // A workspace-style symlink: the link target is what the bundle must point at.
    await pkg(join(top, "packages", "core"), { name: "@cosmo/core", version: "0.1.0" });
    await mkdir(join(top, "node_modules", "@cosmo"), { recursive: true });
    await symlink(join(top, "packages", "core"), join(top, "node_modules", "@cosmo", "core"));

    const info = await readHost(host);
    expect(info.links).toEqual({
      "lib-a": `file:${join(top, "node_modules", "lib-a")}`,
      "@cosmo/core": `file:${join(top, "packages", "core")}`,
    });
    expect(info.versions).toEqual({ "lib-a": "1.2.0", "@cosmo/core": "0.1.0" });
    expect(info.coreVersion).toBe("0.1.0");
  });

  it("prefers the host's own node_modules over a parent's copy, as Node's resolution does", async () => {
    const top = await realpath(await mkdtemp(join(tmpdir(), "cosmo-host-")));
    dirs.push(top);
    const host = join(top, "app");
    await pkg(host, { name: "app", version: "1.0.0", dependencies: { "lib-a": "^2.0.0" } });
    await pkg(join(host, "node_modules", "lib-a"), { name: "lib-a", version: "2.0.0" });
    await pkg(join(top, "node_modules", "lib-a"), { name: "lib-a", version: "1.0.0" });
    expect((await readHost(host)).versions["lib-a"]).toBe("2.0.0");
  });

  it("refuses a host whose dependency is installed nowhere, saying to run npm install", async () => {
    const top = await realpath(await mkdtemp(join(tmpdir(), "cosmo-host-")));
    dirs.push(top);
    await pkg(top, { name: "app", version: "1.0.0", dependencies: { "not-installed-anywhere-xyz": "^1.0.0" } });
    await expect(readHost(top)).rejects.toMatchObject({
      code: "COSMO_E_HOST_INVALID",
      details: { dependency: "not-installed-anywhere-xyz" },
      message: expect.stringContaining("npm install"),
    });
  });
});
