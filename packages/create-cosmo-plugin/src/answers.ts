/**
 * The answers a plugin is written from, and how flags and defaults become them. The prompts
 * (prompts.ts) only fill in what this module says is missing.
 */
import { basename, resolve } from "node:path";
import { CreateError } from "./errors";
import type { Flags } from "./args";
import { checkPackageName, checkPrefix, defaultPrefix, oneLine, packageNameFromDir, unscopedName } from "./validate";

/** Everything needed to write a plugin. */
export interface Answers {
  /** Absolute directory to write into. */
  dir: string;
  /** npm package name (may be scoped). */
  packageName: string;
  /** One line saying what the plugin does. */
  description: string;
  /** Whether the plugin serves HTTP routes. */
  webhooks: boolean;
  /** Where its routes are mounted; set when `webhooks` is true. */
  prefix?: string;
}

/** Answers known so far: from flags, or from prompts once asked. */
export type PartialAnswers = Partial<Omit<Answers, "dir">> & { dir?: string };

/** The default description. */
export const DEFAULT_DESCRIPTION = "A Cosmo plugin";

/** The flag that gives each answer, for the "answers missing" message. */
export const FLAG_OF: Record<keyof Omit<Answers, "dir">, string> = {
  packageName: "--name",
  description: "--description",
  webhooks: "--webhooks or --no-webhooks",
  prefix: "--prefix",
};

/** Reads the answers the flags give, checking each one now, before anything is asked. */
export function answersFromFlags(flags: Flags, cwd: string): PartialAnswers {
  if (flags.prefix !== undefined && flags.webhooks === false) {
    throw new CreateError("COSMO_E_CREATE_USAGE", { reason: "--prefix is for a plugin that serves webhooks; drop it or drop --no-webhooks" });
  }
  return {
    dir: flags.dir === undefined ? undefined : resolve(cwd, flags.dir),
    packageName: flags.name === undefined ? undefined : checkPackageName(flags.name),
    description: flags.description === undefined ? undefined : oneLine(flags.description),
    // A prefix given means routes wanted.
    webhooks: flags.webhooks ?? (flags.prefix !== undefined ? true : undefined),
    prefix: flags.prefix === undefined ? undefined : checkPrefix(flags.prefix),
  };
}

/** The default package name: from the directory's name, else `my-cosmo-plugin`. */
export function defaultPackageName(dir: string | undefined): string {
  return dir === undefined ? "my-cosmo-plugin" : packageNameFromDir(basename(dir));
}

/** Which answers are still missing (the prefix only counts when webhooks are on or undecided). */
export function missingAnswers(partial: PartialAnswers): (keyof typeof FLAG_OF)[] {
  const missing: (keyof typeof FLAG_OF)[] = [];
  if (partial.packageName === undefined) missing.push("packageName");
  if (partial.description === undefined) missing.push("description");
  if (partial.webhooks === undefined) missing.push("webhooks");
  if (partial.webhooks !== false && partial.prefix === undefined) missing.push("prefix");
  return missing;
}

/**
 * Completes the answers with defaults (what `--yes` does), checking the defaults too: a
 * directory named `health` gives the reserved prefix `/health`, refused like a flag would be.
 */
export function withDefaults(partial: PartialAnswers, cwd: string): Answers {
  const packageName = partial.packageName ?? checkPackageName(defaultPackageName(partial.dir));
  const webhooks = partial.webhooks ?? true;
  return {
    dir: partial.dir ?? resolve(cwd, unscopedName(packageName)),
    packageName,
    description: partial.description ?? DEFAULT_DESCRIPTION,
    webhooks,
    prefix: webhooks ? (partial.prefix ?? checkPrefix(defaultPrefix(packageName))) : undefined,
  };
}
