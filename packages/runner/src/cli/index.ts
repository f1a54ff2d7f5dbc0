/**
 * The `cosmo-runner` CLI. `commands` below is the one registry of commands: add a command there
 * (lazily imported, so `--help` and small commands stay fast). `runCli` gives exit codes a
 * script can trust: 0 done, 1 failed (a `COSMO_E_*` line on stderr), 2 usage (bad flag, value or
 * command, with the usage on stderr), 3 conflict, 4 not found, 5 source forbidden (check/install:
 * the explanation on stderr). An unknown command or flag names its nearest match ("did you mean").
 * With `--json` an error is also printed on stdout as `{ "error": { code, message, details } }`.
 * citty prints `--help` for every command, but it accepts unknown flags silently, so they are
 * checked first (usage.ts).
 */
import { createError, errorCatalog, isCosmoError, type CosmoError, type CosmoErrorCode } from "@cosmo/core";
import { defineCommand, renderUsage, runCommand, type ArgsDef, type CommandDef } from "citty";
// Named import: tsup inlines just the version, not the whole manifest.
import { version } from "../../package.json";
import { getLogger, logsJson } from "../logger";
import { checkFlags, nearest, usageError } from "./usage";

// Loose on purpose: citty's CommandDef is generic over each command's args.
type AnyCommand = CommandDef<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every command of the CLI, by name. */
export const commands: Record<string, () => Promise<AnyCommand>> = {
  start: () => import("./commands/start").then((m) => m.default),
  plugins: () => import("./commands/plugins").then((m) => m.default),
  check: () => import("./commands/check").then((m) => m.default),
  apply: () => import("./commands/apply").then((m) => m.default),
  bundle: () => import("./commands/bundle").then((m) => m.bundleCommand),
  sync: () => import("./commands/bundle").then((m) => m.syncCommand),
  report: () => import("./commands/report").then((m) => m.default),
  export: () => import("./commands/offline").then((m) => m.exportCommand),
  import: () => import("./commands/offline").then((m) => m.importCommand),
};

/** The exit codes, by outcome. */
export const EXIT = { ok: 0, error: 1, usage: 2, conflict: 3, notFound: 4, forbidden: 5 } as const;

/** The exit code of a failure with a conflict-like code (its explanation goes to stderr). */
const EXIT_BY_CODE: Record<string, number> = {
  COSMO_E_CONFLICT: EXIT.conflict,
  COSMO_E_NOT_FOUND: EXIT.notFound,
  COSMO_E_SOURCE_FORBIDDEN: EXIT.forbidden,
};

/** What every `--help` ends with: the exit codes a script can rely on. */
export const EXIT_CODES_TEXT = [
  "EXIT CODES",
  "",
  "  0  done",
  "  1  failed: `error COSMO_E_...: message` on stderr (and { \"error\": {...} } on stdout with --json)",
  "  2  usage: unknown command or flag, bad value",
  "  3  conflict: check or install found the plugin does not fit (explanation on stderr)",
  "  4  not found: the plugin, or a package or version it needs, is not in the registry (COSMO_E_NOT_FOUND)",
  "  5  source forbidden: a git or remote source the runner does not allow (COSMO_E_SOURCE_FORBIDDEN)",
].join("\n");

/** The root command: `cosmo-runner <command>`. */
export const main = defineCommand({
  meta: { name: "cosmo-runner", version, description: "Cosmo's runner: plugin admin API, plugin server and CLI" },
  subCommands: commands,
});

/** Parses argv, runs the command and exits the process with 0, 1 or 2 (see the module comment). */
export async function runCli(argv: string[] = process.argv.slice(2)): Promise<never> {
  let command: AnyCommand = main;
  let parent: AnyCommand | undefined;
  let path = "";
  let rest = argv;
  try {
    if (rest.length === 1 && (rest[0] === "--version" || rest[0] === "-v")) {
      console.log(version);
      return process.exit(0);
    }
    const first = rest[0];
    if (first !== undefined && !first.startsWith("-")) {
      const load = commands[first];
      if (!load) throw usageError(`Unknown command "${first}"`, undefined, nearest(first, Object.keys(commands)));
      parent = command;
      command = await load();
      path = first;
      rest = rest.slice(1);
      // Command groups (`plugins add`): descend while the next word names a subcommand.
      while (command.subCommands && rest[0] !== undefined && !rest[0].startsWith("-")) {
        const subs = await resolveValue(command.subCommands);
        const sub = subs[rest[0]];
        if (!sub) {
          const close = nearest(rest[0], Object.keys(subs));
          throw usageError(`Unknown command "${path} ${rest[0]}"`, path, close && `${path} ${close}`);
        }
        parent = command;
        command = await resolveValue(sub);
        path = `${path} ${rest[0]}`;
        rest = rest.slice(1);
      }
    }
    if (rest.includes("--help") || rest.includes("-h")) {
      console.log(`${await renderUsage(command, parent)}\n\n${EXIT_CODES_TEXT}\n`);
      return process.exit(0);
    }
    if (!command.run) throw usageError("No command given");
    checkFlags(rest, (command.args ?? {}) as ArgsDef, path);
    await runCommand(command, { rawArgs: rest });
    return process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
  } catch (error) {
    return fail(error, command, parent, argv.includes("--json"));
  }
}

/** What to do next, said in commands rather than HTTP, for the codes whose message names an endpoint or field. */
const CLI_FIXES: Record<string, string> = {
  COSMO_E_RECORD_NOT_FOUND: "Run `cosmo-runner plugins list` to see the records; name one by its id, its source as you typed it, or its name.",
  COSMO_E_CONFLICT: "The explanation below names each side and what would fix it; `cosmo-runner check <source>` checks again without installing.",
  COSMO_E_AUTH_REQUIRED: "Set COSMO_ADMIN_TOKEN to the runner's token (the file admin-token in its data dir), or run the command as the runner's user.",
};

/** The error reworded for a terminal: same code and details, the fix named as a command. */
function cliWords(error: CosmoError): CosmoError {
  const fix = CLI_FIXES[error.code];
  if (!fix || error.details.fix !== undefined) return error;
  // The code is only known at run time here: its details are the ones it was raised with.
  const render = errorCatalog[error.code].message as (details: Record<string, unknown>) => string;
  return createError(error.code as CosmoErrorCode, error.details, { message: render({ ...error.details, fix }), cause: error });
}

// citty lets commands and subcommand tables be values, promises or functions returning either.
async function resolveValue<T>(value: T | Promise<T> | (() => T | Promise<T>)): Promise<T> {
  return typeof value === "function" ? (value as () => T | Promise<T>)() : value;
}

async function fail(error: unknown, command: AnyCommand, parent: AnyCommand | undefined, json: boolean): Promise<never> {
  // `start --log-format json`: every line the process prints is a JSON record, errors included.
  if (logsJson()) {
    const coded = isCosmoError(error) ? error : createError("COSMO_E_INTERNAL", {}, { cause: error });
    getLogger().error({ code: coded.code, details: coded.details, ...(isCosmoError(error) ? {} : { err: error }) }, `error ${coded.code}: ${coded.message}`);
    return process.exit(coded.code === "COSMO_E_CLI_USAGE" ? EXIT.usage : (EXIT_BY_CODE[coded.code] ?? EXIT.error));
  }
  // citty's own errors (missing positional, bad enum value) are usage errors too.
  const cittyUsage = error instanceof Error && error.name === "CLIError";
  if (cittyUsage || (isCosmoError(error) && error.code === "COSMO_E_CLI_USAGE")) {
    console.error(`${await renderUsage(command, parent)}\n`);
    const coded = isCosmoError(error) ? error : usageError((error as Error).message);
    console.error(`error ${coded.code}: ${coded.message}`);
    if (json) console.log(JSON.stringify(coded.toJSON(), null, 2));
    return process.exit(EXIT.usage);
  }
  const coded = cliWords(isCosmoError(error) ? error : createError("COSMO_E_INTERNAL", {}, { cause: error }));
  console.error(`error ${coded.code}: ${coded.message}`);
  if (!isCosmoError(error)) console.error(error);
  // A conflict's explanation for people; the same conflicts are data in the --json body.
  const exit = EXIT_BY_CODE[coded.code];
  if (exit !== undefined && typeof coded.details.text === "string") console.error(`\n${coded.details.text}`);
  if (json) console.log(JSON.stringify(coded.toJSON(), null, 2));
  return process.exit(exit ?? EXIT.error);
}
