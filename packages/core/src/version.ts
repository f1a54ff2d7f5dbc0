/**
 * The version of this @cosmo/core, read from its own package.json at build time (tsup inlines
 * the JSON), so the host-range check always compares against the copy that is actually running.
 */
import { version } from "../package.json";

/** The running @cosmo/core version, checked against each plugin's `cosmo` range. */
export const coreVersion: string = version;
