import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { addTracked, listTracked, readTracked, removeTracked, replaceTracked, trackingFile } from "../src/tracking";
import { compileForNode } from "./helpers/compile";

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "cosmo-tracking-"));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function writeTracking(text: string): Promise<void> {
  await mkdir(join(dataDir, "plugins"), { recursive: true });
  await writeFile(trackingFile(dataDir), text);
}

describe("tracking file", () => {
  it("reads a missing file as no sources", async () => {
    expect(await listTracked(dataDir)).toEqual([]);
  });

  it("adds sources one a line under <dataDir>/plugins", async () => {
    await addTracked(dataDir, "plugin-ok");
    await addTracked(dataDir, "  plugin-scripts@^1  ");
    expect(await readFile(join(dataDir, "plugins", "installed_plugins.txt"), "utf8")).toBe("plugin-ok\nplugin-scripts@^1\n");
    expect(await listTracked(dataDir)).toEqual(["plugin-ok", "plugin-scripts@^1"]);
  });

  it("replaces a source with another in one write, in its place, comments kept (an upgrade)", async () => {
    await writeTracking("# mine\nplugin-a@1.0.0\nplugin-b\nplugin-a\n");
    expect(await replaceTracked(dataDir, ["plugin-a@1.0.0", "plugin-a"], "plugin-a@1.1.0")).toEqual(["plugin-a@1.1.0", "plugin-b"]);
    expect(await readFile(trackingFile(dataDir), "utf8")).toBe("# mine\nplugin-a@1.1.0\nplugin-b\n");
    await expect(replaceTracked(dataDir, ["plugin-z"], "plugin-z@2.0.0")).rejects.toMatchObject({ code: "COSMO_E_TRACKING_NOT_FOUND" });
  });

  it("keeps blank lines and # comments through adds and removes", async () => {
    await writeTracking("# plugins of the kitchen\nplugin-ok\n\n# ours\n  plugin-a  \nplugin-b");
    await addTracked(dataDir, "plugin-c");
    await removeTracked(dataDir, "plugin-a");
    expect(await readFile(trackingFile(dataDir), "utf8")).toBe("# plugins of the kitchen\nplugin-ok\n\n# ours\nplugin-b\nplugin-c\n");
    const tracked = await readTracked(dataDir);
    expect(tracked.sources).toEqual(["plugin-ok", "plugin-b", "plugin-c"]);
    expect(tracked.lines).toContain("# ours");
  });

  it("keeps a # inside a source: only a leading # makes a comment", async () => {
    await addTracked(dataDir, "git+https://example.invalid/p.git#v1.0.0");
    expect(await listTracked(dataDir)).toEqual(["git+https://example.invalid/p.git#v1.0.0"]);
  });

  it("refuses a duplicate, compared trimmed, with COSMO_E_TRACKING_DUPLICATE", async () => {
    await addTracked(dataDir, "plugin-ok@1.0.0");
    await expect(addTracked(dataDir, " plugin-ok@1.0.0\t")).rejects.toMatchObject({ code: "COSMO_E_TRACKING_DUPLICATE" });
    expect(await listTracked(dataDir)).toEqual(["plugin-ok@1.0.0"]);
  });

  it("refuses to remove a source that is not tracked with COSMO_E_TRACKING_NOT_FOUND", async () => {
    await addTracked(dataDir, "plugin-ok");
    await expect(removeTracked(dataDir, "plugin-nope")).rejects.toMatchObject({ code: "COSMO_E_TRACKING_NOT_FOUND" });
  });

  it("refuses an empty, multi-line or comment-looking source with COSMO_E_SPEC_INVALID", async () => {
    for (const bad of ["", "   ", "a\nb", "# nope"]) {
      await expect(addTracked(dataDir, bad)).rejects.toMatchObject({ code: "COSMO_E_SPEC_INVALID" });
    }
  });

  it("gives up with COSMO_E_TRACKING_LOCKED while another process holds a fresh lock", async () => {
    await mkdir(`${trackingFile(dataDir)}.lock`, { recursive: true });
    await expect(addTracked(dataDir, "plugin-ok", { lock: { retries: 2 } })).rejects.toMatchObject({
      code: "COSMO_E_TRACKING_LOCKED",
    });
  });

  it("takes over a stale lock left by a crashed process", async () => {
    const lock = `${trackingFile(dataDir)}.lock`;
    await mkdir(lock, { recursive: true });
    // proper-lockfile judges staleness by the lock dir's mtime: make it old.
    const { utimes } = await import("node:fs/promises");
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    await addTracked(dataDir, "plugin-ok", { lock: { retries: 2 } });
    expect(await listTracked(dataDir)).toEqual(["plugin-ok"]);
  });

  it("leaves no temp files or lock behind", async () => {
    await addTracked(dataDir, "plugin-ok");
    await removeTracked(dataDir, "plugin-ok");
    expect(await readdir(join(dataDir, "plugins"))).toEqual(["installed_plugins.txt"]);
  });
});

describe("tracking file under concurrent processes", () => {
  let script: string;

  beforeAll(async () => {
    script = await compileForNode(fileURLToPath(new URL("./fixtures/scripts/track-many.ts", import.meta.url)), "track-many");
  });

  function run(prefix: string, count: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [script, dataDir, prefix, String(count)], { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.on("error", reject);
      child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${prefix} exited ${code}: ${stderr}`))));
    });
  }

  it("loses no source when two processes add at once, and is never seen half-written", async () => {
    const count = 40;
    await writeTracking("# kept through every edit\n\n");
    // A reader polls the file while the writers race: each read must be a whole file.
    let writing = true;
    const seen: string[] = [];
    const reader = (async () => {
      while (writing) {
        const text = await readFile(trackingFile(dataDir), "utf8");
        seen.push(text);
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    try {
      await Promise.all([run("a", count), run("b", count)]);
    } finally {
      writing = false;
      await reader;
    }

    const sources = await listTracked(dataDir);
    const expected = [...Array(count).keys()].flatMap((i) => [`a-${i}`, `b-${i}`]);
    expect([...sources].sort()).toEqual(expected.sort());
    // Each writer's own order survives.
    const a = sources.filter((s) => s.startsWith("a-"));
    expect(a).toEqual([...Array(count).keys()].map((i) => `a-${i}`));
    const text = await readFile(trackingFile(dataDir), "utf8");
    expect(text.startsWith("# kept through every edit\n\n")).toBe(true);

    expect(seen.length).toBeGreaterThan(0);
    for (const snapshot of seen) {
      expect(snapshot.startsWith("# kept through every edit\n\n")).toBe(true);
      expect(snapshot.endsWith("\n")).toBe(true);
      for (const line of snapshot.split("\n").slice(2, -1)) expect(line).toMatch(/^[ab]-\d+$/);
    }
  });
});
