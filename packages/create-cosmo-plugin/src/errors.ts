/**
 * The scaffolder's errors: each has a `COSMO_E_CREATE_*` code, a message that says what to do,
 * and the exit code the process ends with, so a script can tell "fix your flags" (2) from "the
 * directory is taken" (3) from "the disk said no" (1).
 */

import { CosmoError, type CosmoErrorParams } from "@cosmo/core";

/** Exit codes of `create-cosmo-plugin`, as `--help` and the reference page state them. */
export const EXIT_CODES = {
  ok: 0,
  failed: 1,
  usage: 2,
  notEmpty: 3,
  // What a shell reports for a process ended by SIGINT: Ctrl-C at a prompt means the same.
  cancelled: 130,
} as const;

/** Every error code the scaffolder raises, with its exit code. */
export const createErrorCodes = {
  COSMO_E_CREATE_USAGE: EXIT_CODES.usage,
  COSMO_E_CREATE_INVALID_NAME: EXIT_CODES.usage,
  COSMO_E_CREATE_INVALID_PREFIX: EXIT_CODES.usage,
  COSMO_E_CREATE_MISSING_ANSWERS: EXIT_CODES.usage,
  COSMO_E_CREATE_DIR_NOT_EMPTY: EXIT_CODES.notEmpty,
  COSMO_E_CREATE_WRITE_FAILED: EXIT_CODES.failed,
  COSMO_E_CREATE_CANCELLED: EXIT_CODES.cancelled,
} as const;

/** One of the scaffolder's error codes. */
export type CreateErrorCode = keyof typeof createErrorCodes;

const BRAND = Symbol.for("cosmo.create.error");

/**
 * An error of the scaffolder: a Cosmo error whose code and message template are in @cosmo/core's
 * catalog (so `isCosmoError` knows it too, and its details are typed), with the exit code it ends with.
 * @example throw new CreateError("COSMO_E_CREATE_DIR_NOT_EMPTY", { dir })
 */
export class CreateError<C extends CreateErrorCode = CreateErrorCode> extends CosmoError<C> {
  readonly exitCode: number;
  readonly [BRAND] = true;

  constructor(code: C, details: CosmoErrorParams<C>, options?: { cause?: unknown }) {
    // C is open here, so TS cannot pick a branch of the core's argument type; `details` is typed above.
    super(code, ...([details, { cause: options?.cause }] as never));
    this.name = "CreateError";
    this.exitCode = createErrorCodes[code];
  }
}

/** True for a scaffolder error, by its brand (not `instanceof`, which two copies would break). */
export function isCreateError(value: unknown): value is CreateError {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
