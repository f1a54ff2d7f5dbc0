import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listFiles, PLUGIN_FILES, runBin, tempDir } from "./helpers/cli";

let cwd: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir: cwd, cleanup } = await tempDir()));
afterEach(() => cleanup());

const readJson = async (path: string) => JSON.parse(await readFile(path, "utf8")) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("create-cosmo-plugin with flags", () => {
  it("writes exactly the plugin's files with every answer from the flags, no prompt and no terminal", async () => {
    const args = ["zigbee-dir", "--name", "@acme/zigbee", "--description", 'Says "hi" to switches', "--webhooks", "--prefix", "/zb"];
    const result = await runBin(args, cwd);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const dir = join(cwd, "zigbee-dir");
    expect(await listFiles(dir)).toEqual(PLUGIN_FILES);

    const pkg = await readJson(join(dir, "package.json"));
    expect(pkg).toMatchObject({
      name: "@acme/zigbee",
      description: 'Says "hi" to switches',
      type: "module",
      keywords: ["cosmo-plugin"],
      files: ["dist", "cosmo.json"],
      scripts: { build: "tsup", test: "vitest run" },
      peerDependencies: { "@cosmo/core": "^0.1.0" },
    });
    expect(pkg.devDependencies).toMatchObject({ "@cosmo/core": "^0.1.0" });
    expect(Object.keys(pkg.devDependencies).sort()).toEqual(["@cosmo/core", "tsup", "typescript", "vitest"]);

    expect(await readJson(join(dir, "cosmo.json"))).toEqual({
      $schema: "./node_modules/@cosmo/core/cosmo.schema.json",
      name: "zigbee",
      version: "0.1.0",
      description: 'Says "hi" to switches',
      plugin_class: "./dist/index.js",
      requires_webhooks: true,
      webhook_prefix: "/zb",
      cosmo: "^0.1.0",
    });
    const source = await readFile(join(dir, "src/index.ts"), "utf8");
    expect(source).toContain('import { definePlugin } from "@cosmo/core"');
    expect(source).toContain('ctx.route("POST", "/hello"');
    const test = await readFile(join(dir, "test/plugin.test.ts"), "utf8");
    expect(test).toContain('from "@cosmo/core/testing"');
    expect(test).toContain('host.fetch("/zb/hello"');
    expect(await readFile(join(dir, "README.md"), "utf8")).toMatch(/^# @acme\/zigbee\n\nSays "hi" to switches\n/);
    expect(await readFile(join(dir, ".gitignore"), "utf8")).toContain("node_modules/");
    // No placeholder left anywhere.
    for (const file of PLUGIN_FILES) expect(await readFile(join(dir, file), "utf8"), file).not.toMatch(/\{\{\w+\}\}/);
    expect(result.stdout).toContain("Created @acme/zigbee in zigbee-dir");
  });

  it("takes every default from the directory name with --yes", async () => {
    const result = await runBin(["My Lamp", "--yes"], cwd);
    expect(result.code).toBe(0);
    const dir = join(cwd, "My Lamp");
    expect(await listFiles(dir)).toEqual(PLUGIN_FILES);
    expect((await readJson(join(dir, "package.json"))).name).toBe("my-lamp");
    expect(await readJson(join(dir, "cosmo.json"))).toMatchObject({ name: "my-lamp", description: "A Cosmo plugin", webhook_prefix: "/my-lamp" });
    expect(result.stdout).toContain('cd "My Lamp"');
  });

  it("names the directory after the package (without its scope) when none is given", async () => {
    const result = await runBin(["--yes", "--name", "@acme/lamp"], cwd);
    expect(result.code).toBe(0);
    expect(await listFiles(join(cwd, "lamp"))).toEqual(PLUGIN_FILES);
  });

  it("writes a plugin without routes for --no-webhooks", async () => {
    const result = await runBin(["quiet", "--yes", "--no-webhooks"], cwd);
    expect(result.code).toBe(0);
    const manifest = await readJson(join(cwd, "quiet/cosmo.json"));
    expect(manifest.requires_webhooks).toBe(false);
    expect(manifest).not.toHaveProperty("webhook_prefix");
    expect(await readFile(join(cwd, "quiet/src/index.ts"), "utf8")).not.toContain("ctx.route(");
  });

  it("refuses --prefix together with --no-webhooks", async () => {
    const result = await runBin(["x", "--yes", "--no-webhooks", "--prefix", "/x"], cwd);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("COSMO_E_CREATE_USAGE");
  });
});

describe("create-cosmo-plugin refusals", () => {
  it("refuses a non-empty directory with exit code 3 and writes nothing", async () => {
    await mkdir(join(cwd, "taken"));
    await writeFile(join(cwd, "taken/notes.txt"), "mine");
    const result = await runBin(["taken", "--yes"], cwd);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/COSMO_E_CREATE_DIR_NOT_EMPTY: .*taken is not empty.*--force/);
    expect(await listFiles(join(cwd, "taken"))).toEqual(["notes.txt"]);
  });

  it("writes into a non-empty directory with --force, keeping the other files", async () => {
    await mkdir(join(cwd, "taken"));
    await writeFile(join(cwd, "taken/notes.txt"), "mine");
    await writeFile(join(cwd, "taken/README.md"), "old");
    const result = await runBin(["taken", "--yes", "--force"], cwd);
    expect(result.code).toBe(0);
    expect(await listFiles(join(cwd, "taken"))).toEqual([...PLUGIN_FILES, "notes.txt"].sort());
    expect(await readFile(join(cwd, "taken/notes.txt"), "utf8")).toBe("mine");
    expect(await readFile(join(cwd, "taken/README.md"), "utf8")).toContain("# taken");
  });

  it("counts a directory holding only .git as empty", async () => {
    await mkdir(join(cwd, "clone/.git"), { recursive: true });
    expect((await runBin(["clone", "--yes"], cwd)).code).toBe(0);
  });

  it("refuses a bad package name, naming the rule, with exit code 2", async () => {
    const result = await runBin(["x", "--yes", "--name", "Zigbee"], cwd);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('COSMO_E_CREATE_INVALID_NAME: "Zigbee" is not a valid npm package name: name can no longer contain capital letters');
    expect(await listFiles(cwd)).toEqual([]);
  });

  it("refuses a default name that npm would refuse (a directory called node_modules)", async () => {
    const result = await runBin(["node_modules", "--yes"], cwd);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("node_modules is not a valid package name");
  });

  it("refuses a prefix that breaks the manifest's pattern, naming the rule", async () => {
    const result = await runBin(["x", "--yes", "--prefix", "Zig/"], cwd);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('COSMO_E_CREATE_INVALID_PREFIX: "Zig/" is not a valid webhook prefix: expected a path such as /zigbee');
  });

  it("refuses a reserved prefix, and a default prefix that is reserved", async () => {
    const flag = await runBin(["x", "--yes", "--prefix", "/plugins/mine"], cwd);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("expected a prefix outside the reserved /plugins, /health, /_cosmo");
    const fromDir = await runBin(["health", "--yes"], cwd);
    expect(fromDir.code).toBe(2);
    expect(fromDir.stderr).toContain('"/health" is not a valid webhook prefix');
  });

  it("fails naming the flags instead of waiting for answers when there is no terminal", async () => {
    const result = await runBin(["x", "--name", "x"], cwd);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("COSMO_E_CREATE_MISSING_ANSWERS");
    expect(result.stderr).toContain("--description, --webhooks or --no-webhooks, --prefix");
    expect(result.stderr).toContain("--yes");
    expect(await listFiles(cwd)).toEqual([]);
  });

  it("refuses an unknown flag and a flag without its value", async () => {
    const unknown = await runBin(["x", "--yes", "--prefx", "/x"], cwd);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("COSMO_E_CREATE_USAGE: Unknown option --prefx");
    const empty = await runBin(["x", "--yes", "--name="], cwd);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("--name needs a value");
  });
});

describe("create-cosmo-plugin --help", () => {
  it("prints the usage, every flag and the exit codes, and writes nothing", async () => {
    const result = await runBin(["--help"], cwd);
    expect(result.code).toBe(0);
    for (const flag of ["--name", "--description", "--webhooks", "--prefix", "--yes", "--force", "DIR"]) expect(result.stdout).toContain(flag);
    expect(result.stdout).toMatch(/Exit codes: 0 written, 1 failed, 2 usage.*3 directory not empty, 130 cancelled/);
    expect(await listFiles(cwd)).toEqual([]);
  });
});
