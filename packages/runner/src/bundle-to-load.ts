/**
 * Which bundle a new server worker loads. Its own room, outside worker/, because the supervisor
 * (the primary process) asks it before every fork and must not load the plugin runtime to do so.
 */
import { currentBundle } from "@cosmo/bundler";
import { isCosmoError } from "@cosmo/core";

/**
 * The bundle a new worker should load: none for a clean start, else the current bundle's
 * realpath (resolved once, so a sync landing meanwhile cannot mix two bundles in one worker),
 * or none when nothing was ever synced: a fresh runner starts with no plugins, not an error.
 */
export async function bundleToLoad(dataDir: string, clean: boolean): Promise<string | null> {
  if (clean) return null;
  try {
    return await currentBundle(dataDir);
  } catch (error) {
    if (isCosmoError(error) && error.code === "COSMO_E_NO_BUNDLE") return null;
    throw error;
  }
}
