import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listFiles, PLUGIN_FILES, tempDir } from "./helpers/cli";
import { hasScript, KEY, runInPty } from "./helpers/pty";

let cwd: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir: cwd, cleanup } = await tempDir()));
afterEach(() => cleanup());

const clear = (n: number) => KEY.backspace.repeat(n);

// The prompts need a real terminal: util-linux `script` gives one (Debian has it by default).
describe.runIf(hasScript)("create-cosmo-plugin prompts, on a terminal", () => {
  it("asks for each answer, pre-filled from the directory, and writes the plugin from what was typed", async () => {
    const pty = runInPty(["lamp"], cwd);
    await pty.waitFor(/Package name \(npm\)\s*\S*\s*lamp/);
    pty.type(`${clear(4)}@acme/lamp${KEY.enter}`);
    await pty.waitFor(/Description/);
    pty.type(`Turns lamps on${KEY.enter}`);
    await pty.waitFor(/serve webhooks/);
    pty.type(`y${KEY.enter}`);
    // The prefix is pre-filled from the name just typed.
    await pty.waitFor(/Webhook prefix[^\n]*\n\S*\s*\/lamp/);
    pty.type(`${clear(5)}/lights${KEY.enter}`);
    expect(await pty.exited).toBe(0);

    const dir = join(cwd, "lamp");
    expect(await listFiles(dir)).toEqual(PLUGIN_FILES);
    expect(JSON.parse(await readFile(join(dir, "cosmo.json"), "utf8"))).toMatchObject({
      name: "lamp",
      description: "Turns lamps on",
      requires_webhooks: true,
      webhook_prefix: "/lights",
    });
    expect(JSON.parse(await readFile(join(dir, "package.json"), "utf8")).name).toBe("@acme/lamp");
    expect(pty.screen()).toContain("Created @acme/lamp in lamp");
  });

  it("asks again after an answer that breaks a rule, showing the rule", async () => {
    const pty = runInPty(["lamp", "--description", "d"], cwd);
    await pty.waitFor(/Package name/);
    pty.type(`${clear(4)}Lamp${KEY.enter}`);
    await pty.waitFor(/name can no longer contain capital letters/);
    pty.type(`${clear(4)}lamp${KEY.enter}`);
    await pty.waitFor(/serve webhooks/);
    pty.type(KEY.enter); // Yes is the default
    await pty.waitFor(/Webhook prefix/);
    const before = pty.screen().length;
    pty.type(`${clear(5)}/health${KEY.enter}`);
    await pty.waitFor(/a prefix outside the reserved \/plugins, \/health, \/_cosmo/, before);
    pty.type(`${clear(7)}/lamp${KEY.enter}`);
    expect(await pty.exited).toBe(0);
    expect(JSON.parse(await readFile(join(cwd, "lamp/cosmo.json"), "utf8"))).toMatchObject({ name: "lamp", webhook_prefix: "/lamp" });
  });

  it("asks only what the flags left open, and no prefix for a plugin without webhooks", async () => {
    const pty = runInPty(["quiet", "--name", "quiet", "--description", "No routes"], cwd);
    await pty.waitFor(/serve webhooks/);
    pty.type(`n${KEY.enter}`);
    expect(await pty.exited).toBe(0);
    expect(pty.screen()).not.toMatch(/Package name|Description|Webhook prefix/);
    expect(JSON.parse(await readFile(join(cwd, "quiet/cosmo.json"), "utf8")).requires_webhooks).toBe(false);
  });

  it("stops with exit code 130 and writes nothing when cancelled with Ctrl-C", async () => {
    const pty = runInPty(["lamp"], cwd);
    await pty.waitFor(/Package name/);
    pty.type(KEY.ctrlC);
    expect(await pty.exited).toBe(130);
    expect(pty.screen()).toContain("COSMO_E_CREATE_CANCELLED");
    expect(await listFiles(cwd)).toEqual([]);
  });
});
