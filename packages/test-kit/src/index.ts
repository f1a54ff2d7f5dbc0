/**
 * @cosmo/test-kit: what the test suites of every Cosmo workspace share. Private, never built
 * or published; vitest and tsc read these sources directly. The registry's vitest globalSetup
 * is the separate entry `@cosmo/test-kit/registry-setup`.
 */

// Brings the `inject("registryUrl")` typing to every test file that imports the kit.
import type {} from "./registry-setup";

// The verdaccio test registry and the npm environment that can only reach it
export { publishDirectory, registryEnv, startTestRegistry, type StartTestRegistryOptions, type TestRegistry } from "./registry";
export { fixturesDir } from "./fixtures";

// Trees on disk
export { findFiles, hashTree } from "./tree-hash";

// Programs of the operating system, and what runs on them
export { findOnPath, requireBinaries, systemBinary, type SystemBinary } from "./system-binary";
export { canStartRedis, hasRedis, startRedis, type TestRedis } from "./redis";
export { freePort } from "./ports";
export { adminCall, type AdminAnswer } from "./admin-call";
export { requestOnNewConnection, type FreshRequestOptions } from "./fresh-request";

// The cosmo-runner bin as a user runs it, and any other program spawned the same way
export { BIN, runCli, spawnProcess, startRunner, stopRunner, type CliProcess } from "./runner-process";
