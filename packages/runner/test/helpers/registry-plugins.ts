/**
 * Plugin packages written on the fly and published to the run's test registry, for the
 * reliability rows that need many plugins (ten that fit together) or scripted ones (canaries).
 * Publishing is idempotent: test files of one run share one registry.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { publishDirectory } from "@cosmo/test-kit";

/** One package to publish. */
export interface RegistryPlugin {
  name: string;
  version: string;
  /** A Cosmo plugin serving `GET <prefix>/ok` with its name and version; absent: a plain library. */
  prefix?: string;
  dependencies?: Record<string, string>;
  /** Gives it preinstall, install, postinstall and prepare scripts that each leave a canary file. */
  scripts?: boolean;
}

/** The lifecycle scripts a package may carry and npm would run on install. */
export const LIFECYCLE_EVENTS = ["preinstall", "install", "postinstall", "prepare"] as const;

// Proof that a script ran: `cosmo-canary-<package>-<event>` in COSMO_TEST_CANARY_DIR (when set)
// and always in the package's own dir, so a run shows even when the variable did not reach it.
const CANARY = `const { writeFileSync } = require("node:fs");
const { join } = require("node:path");
const file = "cosmo-canary-" + require("./package.json").name + "-" + (process.argv[2] || "unknown");
if (process.env.COSMO_TEST_CANARY_DIR) writeFileSync(join(process.env.COSMO_TEST_CANARY_DIR, file), process.cwd() + "\\n");
writeFileSync(join(__dirname, file), process.cwd() + "\\n");
`;

/** Writes and publishes each package; resolves with their `name@version`. */
export async function publishPlugins(registryUrl: string, plugins: readonly RegistryPlugin[]): Promise<string[]> {
  const root = await mkdtemp(join(tmpdir(), "cosmo-registry-plugins-"));
  try {
    const published: string[] = [];
    // One at a time: a dependency is published before the plugins that need it.
    for (const p of plugins) {
      const dir = join(root, `${p.name}@${p.version}`);
      await mkdir(dir, { recursive: true });
      const scripts = p.scripts ? Object.fromEntries(LIFECYCLE_EVENTS.map((e) => [e, `node canary.cjs ${e}`])) : undefined;
      await writeFile(
        join(dir, "package.json"),
        JSON.stringify({ name: p.name, version: p.version, type: "module", main: "index.js", license: "MIT", dependencies: p.dependencies ?? {}, ...(scripts ? { scripts } : {}) }),
      );
      if (p.scripts) await writeFile(join(dir, "canary.cjs"), CANARY);
      if (p.prefix === undefined) {
        await writeFile(join(dir, "index.js"), `export const version = ${JSON.stringify(p.version)};\n`);
      } else {
        await writeFile(
          join(dir, "cosmo.json"),
          JSON.stringify({ name: p.name, version: p.version, plugin_class: "./index.js:plugin", requires_webhooks: true, webhook_prefix: p.prefix }),
        );
        await writeFile(
          join(dir, "index.js"),
          `export const plugin = { setup(ctx) { ctx.route("GET", "/ok", () => ({ ok: ${JSON.stringify(p.name)}, version: ${JSON.stringify(p.version)} })); } };\n`,
        );
      }
      published.push(await publishDirectory(registryUrl, dir));
    }
    return published;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
