/**
 * `@cosmo/core/testing`: mounts one plugin in a throwaway host, for plugin authors' own tests.
 * A plugin directory goes through the production path (manifest validated, loader); an object
 * is registered directly.
 */
import { readFile, realpath } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Storage } from "unstorage";
import type { DiscoveredPlugin } from "./discovery";
import { createError, errorMessage } from "./errors";
import { loadPlugin } from "./loader";
import { parseManifest, validateManifest, type Manifest } from "./manifest";
import type { Plugin, PluginLogger } from "./plugin";
import { createRouter } from "./router";
import { PluginService } from "./service";
import type { PluginErrorInfo, PluginInfo, PluginStatus } from "./service-types";

/** Options of `mountPlugin`. */
export interface MountPluginOptions {
  /** The plugin's config (what `ctx.config` holds). */
  config?: Record<string, unknown>;
  /**
   * cosmo.json fields. Required for a plugin object (at least `name`, and `webhook_prefix` for
   * routes); for a directory, merged over its cosmo.json.
   */
  manifest?: Partial<Manifest> & Record<string, unknown>;
  /** Max ms for setup; default 10 000. */
  setupTimeout?: number;
  /** Logger for the plugin's lines; default console. */
  logger?: PluginLogger;
  /** Storage behind `ctx.storage`; default a fresh memory storage. */
  storage?: Storage;
}

/** A plugin mounted in a throwaway host. */
export interface MountedPlugin {
  /**
   * Sends a request to the host; a string is a path on the host (`"/zigbee/toggle"`).
   * @example const res = await mounted.fetch("/zigbee/toggle", { method: "POST" })
   */
  fetch(input: string | Request, init?: RequestInit): Promise<Response>;
  /** The host's PluginService, for events and `get()`. */
  readonly service: PluginService;
  /** The plugin's current status. */
  readonly status: PluginStatus;
  /** Why it failed, when `status` is `failed`. */
  readonly error: PluginErrorInfo | undefined;
  /** The plugin's full info. */
  info(): PluginInfo;
  /** Tears the plugin down (teardown runs) and stops the host. */
  close(): Promise<void>;
}

const BASE_URL = "http://cosmo.test";

// Reads a plugin directory the way discovery does for an installed package.
async function readPluginDir(dir: string, overrides: Record<string, unknown> | undefined): Promise<DiscoveredPlugin> {
  const real = await realpath(dir);
  let packageJson: Record<string, unknown>;
  try {
    packageJson = JSON.parse(await readFile(join(real, "package.json"), "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw createError("COSMO_E_PACKAGE_JSON", { package: real, reason: errorMessage(error) }, { cause: error });
  }
  const packageName = typeof packageJson.name === "string" ? packageJson.name : real;
  const text = await readFile(join(real, "cosmo.json"), "utf8").catch((error: unknown) => {
    throw createError("COSMO_E_MANIFEST_JSON", { package: packageName, reason: errorMessage(error) }, { cause: error });
  });
  const manifest = overrides ? validateManifest({ ...JSON.parse(text), ...overrides }, packageName) : parseManifest(text, packageName);
  const packageVersion = typeof packageJson.version === "string" ? packageJson.version : "0.0.0";
  return { packageName, packageVersion, dir: real, manifest, packageJson, root: dirname(real) };
}

// A plugin object has no cosmo.json: fill in what a test need not care about.
function manifestForObject(fields: MountPluginOptions["manifest"]): Manifest {
  if (!fields?.name) {
    throw new TypeError("mountPlugin: a plugin object needs options.manifest with at least a name (and a webhook_prefix for routes)");
  }
  return validateManifest(
    { version: "0.0.0", plugin_class: ":default", requires_webhooks: fields.webhook_prefix !== undefined, ...fields },
    fields.name,
  );
}

/**
 * Mounts one plugin (a directory holding package.json + cosmo.json, or a plugin object) in a
 * fresh host. Load and setup failures do not throw: check `status` and `error`. An invalid
 * cosmo.json does throw its coded error.
 * @example const host = await mountPlugin(definePlugin({ setup }), { manifest: { name: "zigbee", webhook_prefix: "/zigbee" } })
 */
export async function mountPlugin(dirOrPlugin: string | Plugin, options: MountPluginOptions = {}): Promise<MountedPlugin> {
  const service = new PluginService({ logger: options.logger, storage: options.storage, setupTimeout: options.setupTimeout });
  const router = createRouter(service);
  let info: PluginInfo;
  if (typeof dirOrPlugin === "string") {
    const discovered = await readPluginDir(dirOrPlugin, options.manifest);
    info = await loadPlugin(discovered, service, { config: { [discovered.manifest.name]: options.config } });
  } else {
    info = await service.register(dirOrPlugin, { manifest: manifestForObject(options.manifest), config: options.config });
  }
  const name = info.name;
  const current = (): PluginInfo => service.get(name) ?? info;
  return {
    service,
    fetch: (input, init) => router.fetch(typeof input === "string" ? new Request(new URL(input, BASE_URL), init) : new Request(input, init)),
    get status() {
      return current().status;
    },
    get error() {
      return current().error;
    },
    info: current,
    close: async () => {
      await service.shutdown();
      router.close();
    },
  };
}
