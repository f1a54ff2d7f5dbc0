/**
 * Usage errors of the `cosmo-runner` CLI (exit code 2): the coded error, the "did you mean"
 * guess, and the check for flags a command does not define. citty parses and renders `--help`
 * but accepts unknown flags silently; node's `util.parseArgs` reads the command line into
 * tokens the way Node itself does (`--flag=value`, `-abc`, `--`), and any option token that is
 * not one of the command's flags is refused here.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { createError, type CosmoError } from "@cosmo/core";
import type { ArgsDef } from "citty";
import { distance } from "fastest-levenshtein";

/** A usage error: exit code 2; `suggestion` is named as "did you mean ...?". */
export function usageError(reason: string, command?: string, suggestion?: string): CosmoError {
  return createError("COSMO_E_CLI_USAGE", { program: "cosmo-runner", reason, ...(command ? { command } : {}), ...(suggestion ? { suggestion } : {}) });
}

/** The candidate nearest to `word` when it is near enough to be a slip (a typo, a missing letter). */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  // Two edits for a long word, one for a short one: beyond that a guess misleads more than it helps.
  return best !== undefined && bestDistance <= Math.max(1, Math.min(2, Math.floor(word.length / 3))) ? best : undefined;
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** citty's flag definitions as parseArgs options: each spelling citty accepts, typed as citty types it. */
function parseArgsOptions(args: ArgsDef): NonNullable<ParseArgsConfig["options"]> {
  const options: NonNullable<ParseArgsConfig["options"]> = { help: { type: "boolean", short: "h" } };
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const type = def.type === "boolean" ? "boolean" : "string";
    const aliases = ["alias" in def ? (def.alias ?? []) : []].flat();
    for (const spelling of new Set([name, kebab(name), ...aliases])) {
      // parseArgs takes one-letter spellings as `short` of a long one.
      if (spelling.length > 1) options[spelling] = { type };
      else options[name] = { ...options[name], type, short: spelling };
    }
    // citty reads --no-<flag> as false; Node 20's parseArgs has no negation of its own.
    if (type === "boolean") for (const spelling of new Set([name, kebab(name)])) options[`no-${spelling}`] = { type };
  }
  return options;
}

/** Throws a usage error naming the first flag of `argv` the command does not define (citty would ignore it). */
export function checkFlags(argv: string[], args: ArgsDef, command: string): void {
  const options = parseArgsOptions(args);
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind !== "option" || Object.hasOwn(options, token.name)) continue;
    const flags = Object.keys(options).filter((k) => k !== "help");
    const close = nearest(token.name, flags);
    throw usageError(`Unknown option ${token.rawName}`, command, close && `--${close}`);
  }
}
