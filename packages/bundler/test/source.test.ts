import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isCosmoError } from "@cosmo/core";
import { afterAll, describe, expect, inject, it } from "vitest";
import { packDirectory, parseSource, resolveSources } from "../src/source";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isCosmoError(error) ? error.code : "not a cosmo error";
  }
  return undefined;
}

describe("parseSource", () => {
  it("reads registry names, ranges, tags and aliases as registry sources", () => {
    expect(parseSource("plugin-ok")).toMatchObject({ type: "registry", name: "plugin-ok", spec: "*" });
    expect(parseSource("plugin-ok@^1")).toMatchObject({ type: "registry", name: "plugin-ok", spec: "^1" });
    expect(parseSource("@acme/x@latest")).toMatchObject({ type: "registry", name: "@acme/x", spec: "latest" });
    expect(parseSource("ok@npm:plugin-ok@1")).toMatchObject({ type: "registry", name: "ok", spec: "npm:plugin-ok@1" });
  });

  it("reads tarball paths and directories as absolute file: specs", () => {
    expect(parseSource("./x.tgz", { where: "/srv/app" })).toMatchObject({ type: "tarball", name: undefined, spec: "file:/srv/app/x.tgz" });
    expect(parseSource("/srv/plugins/x")).toMatchObject({ type: "directory", spec: "file:/srv/plugins/x" });
  });

  it("rejects specs that start with - or do not parse with COSMO_E_SPEC_INVALID", () => {
    expect(codeOf(() => parseSource("--registry=http://evil"))).toBe("COSMO_E_SPEC_INVALID");
    expect(codeOf(() => parseSource("-rf"))).toBe("COSMO_E_SPEC_INVALID");
    expect(codeOf(() => parseSource("foo bar"))).toBe("COSMO_E_SPEC_INVALID");
    expect(codeOf(() => parseSource("   "))).toBe("COSMO_E_SPEC_INVALID");
  });

  it("forbids git and remote URLs unless the host opts in", () => {
    expect(codeOf(() => parseSource("github:acme/plugin"))).toBe("COSMO_E_SOURCE_FORBIDDEN");
    expect(codeOf(() => parseSource("git+https://example.invalid/acme/plugin.git"))).toBe("COSMO_E_SOURCE_FORBIDDEN");
    expect(codeOf(() => parseSource("https://example.invalid/plugin.tgz"))).toBe("COSMO_E_SOURCE_FORBIDDEN");
    expect(parseSource("github:acme/plugin", { allowGit: true })).toMatchObject({ type: "git", spec: "github:acme/plugin" });
    expect(parseSource("https://example.invalid/p.tgz", { allowRemote: true })).toMatchObject({ type: "remote", spec: "https://example.invalid/p.tgz" });
  });
});

describe("packing local directories", () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it("packs a directory into the cache dir so the plugin becomes a tarball source, running no scripts", async () => {
    const root = await mkdtemp(join(tmpdir(), "cosmo-pack-"));
    dirs.push(root);
    const pluginDir = join(root, "my-plugin");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(pluginDir);
    await writeFile(
      join(pluginDir, "package.json"),
      JSON.stringify({ name: "my-plugin", version: "1.2.3", scripts: { prepare: "touch prepared" } }),
    );
    await writeFile(join(pluginDir, "cosmo.json"), "{}");
    const cacheDir = join(root, "data", "cache", "packed");
    const packed = await packDirectory(parseSource(pluginDir), cacheDir, { cache: join(root, "npm-cache") });
    expect(packed).toMatchObject({ type: "tarball", name: "my-plugin", raw: pluginDir });
    expect(packed.spec).toMatch(/^file:.*\/cache\/packed\/my-plugin-1\.2\.3-[0-9a-f]{12}\.tgz$/);
    expect(await readdir(pluginDir)).not.toContain("prepared");
  });

  it("keeps the packed tarball inside the cache dir whatever name the directory's package.json claims", async () => {
    const root = await mkdtemp(join(tmpdir(), "cosmo-pack-"));
    dirs.push(root);
    const pluginDir = join(root, "evil");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(pluginDir);
    await writeFile(join(pluginDir, "package.json"), JSON.stringify({ name: "a/../../../../escaped", version: "1.0.0" }));
    const cacheDir = join(root, "data", "cache", "packed");
    const packed = await packDirectory(parseSource(pluginDir), cacheDir, { cache: join(root, "npm-cache") });
    const file = packed.spec.slice("file:".length);
    expect(file.startsWith(`${cacheDir}/`)).toBe(true);
    expect(await readdir(cacheDir)).toEqual([file.slice(cacheDir.length + 1)]);
  });

  it("reads the name of a tarball source from its package.json", async () => {
    const registry = inject("registryUrl");
    const root = await mkdtemp(join(tmpdir(), "cosmo-pack-"));
    dirs.push(root);
    const pacote = (await import("pacote")).default;
    const tgz = join(root, "ok.tgz");
    await writeFile(tgz, await pacote.tarball("plugin-ok@1.0.0", { registry, cache: join(root, "c") }));
    const [resolved] = await resolveSources([tgz], { cacheDir: join(root, "packed"), npmOptions: { cache: join(root, "c") } });
    expect(resolved).toMatchObject({ type: "tarball", name: "plugin-ok", spec: `file:${tgz}` });
  });
});
