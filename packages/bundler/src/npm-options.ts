/**
 * The flat npm options object (npm's "flatOptions") handed to Arborist and pacote as is: registry,
 * `@scope:registry`, `//host/:_authToken`, cache, offline... `loadNpmConfig()` builds one from the
 * user's npm config; tests pass `{ registry, cache }`.
 */
export type NpmOptions = {
  registry?: string;
  cache?: string;
  offline?: boolean;
  preferOffline?: boolean;
  preferOnline?: boolean;
  [key: string]: unknown;
};
