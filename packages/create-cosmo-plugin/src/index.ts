// create-cosmo-plugin: the public API. The bin runs `run()`; the rest is for tests and tools
// that scaffold a plugin without a terminal. Anything not exported here is private.

// CLI
export { run, runCli } from "./cli";
export type { CliEnvironment } from "./cli";

// Answers and checks
export { DEFAULT_DESCRIPTION, withDefaults } from "./answers";
export type { Answers, PartialAnswers } from "./answers";
export { checkPackageName, checkPrefix, packageNameProblem, prefixProblem } from "./validate";

// Writing
export { coreRange, renderPlugin, writePlugin } from "./write";

// Errors
export { CreateError, EXIT_CODES, createErrorCodes, isCreateError } from "./errors";
export type { CreateErrorCode } from "./errors";
