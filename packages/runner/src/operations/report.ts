/**
 * The bug report (`GET /plugins/report`, `cosmo-runner report`): what someone needs to rebuild
 * a runner's plugin set: the bundle's lockfile, the tracking file, the records and the versions.
 * The lockfile of the bundled environment belongs in every bug report.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, join } from "node:path";
import { currentBundle, readTracked } from "@cosmo/bundler";
import { coreVersion, isCosmoError, redactUrl } from "@cosmo/core";
// Named import: tsup inlines just the version, not the whole manifest.
import { version as runnerVersion } from "../../package.json";
import type { OperationsContext } from "./context";

const require = createRequire(import.meta.url);

let npmVersion: Promise<string | null> | undefined;

/** `npm --version`, asked once per process (a child process costs ~150 ms); null when npm is not found. */
export function getNpmVersion(): Promise<string | null> {
  npmVersion ??= new Promise((resolve) => {
    // npm is a .cmd on Windows, which execFile runs only through a shell.
    execFile("npm", ["--version"], { timeout: 10_000, shell: process.platform === "win32" }, (error, stdout) =>
      resolve(error ? null : stdout.trim() || null),
    );
  });
  return npmVersion;
}

function packageVersion(name: string): string | null {
  try {
    return (require(`${name}/package.json`) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

async function readJsonOrNull(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as unknown;
  } catch {
    return null;
  }
}

/** Options of createReport. */
export interface ReportOptions {
  /**
   * The bundle to describe (realpath; null: none): a server's, the one it serves. Without it,
   * the data dir's current bundle, which is what the next start serves. A server must not read
   * the link: a sync in progress may already have switched it to the next bundle before the
   * reload, and the report would carry a lockfile nobody serves yet.
   */
  served?: string | null;
}

/** Builds the report. Never fails for a missing bundle or tracking file: those are reported as null/empty. */
export async function createReport(ctx: OperationsContext, extra: Record<string, unknown> = {}, options: ReportOptions = {}): Promise<Record<string, unknown>> {
  let bundle: string | null = null;
  if (options.served !== undefined) bundle = options.served;
  else {
    try {
      bundle = await currentBundle(ctx.dataDir);
    } catch (error) {
      if (!(isCosmoError(error) && error.code === "COSMO_E_NO_BUNDLE")) throw error;
    }
  }
  const [tracked, records, npm, npmOptions] = await Promise.all([
    readTracked(ctx.dataDir),
    ctx.store.list(),
    getNpmVersion(),
    ctx.npmOptions(),
  ]);
  const trackingText = tracked.lines.length === 0 ? "" : `${tracked.lines.join("\n")}\n`;
  return {
    generated_at: new Date().toISOString(),
    versions: {
      node: process.version,
      npm,
      cosmo: { core: coreVersion, bundler: packageVersion("@cosmo/bundler"), runner: runnerVersion },
    },
    platform: `${process.platform}-${process.arch}`,
    data_dir: ctx.dataDir,
    store: ctx.store.description,
    registry: typeof npmOptions.registry === "string" ? redactUrl(npmOptions.registry) : null,
    ...extra,
    tracking: { file: tracked.file, sources: tracked.sources, text: trackingText },
    records,
    bundle: bundle === null ? null : { id: basename(bundle), path: bundle },
    lockfile: bundle === null ? null : await readJsonOrNull(join(bundle, "package-lock.json")),
  };
}
