/**
 * The command line: citty's definition (which renders `--help`) and the parse into `Flags` by
 * node's `util.parseArgs`, whose tokens name every option given. An unknown flag and a value-less
 * `--name` are usage errors here: a typo must never quietly become a default.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { defineCommand, renderUsage, type ArgsDef } from "citty";
// Named import: tsup inlines just the version, not the whole manifest.
import { version } from "../package.json";
import { CreateError, EXIT_CODES } from "./errors";

/** What the command line said; `undefined` = not given (ask, or take the default with --yes). */
export interface Flags {
  dir?: string;
  name?: string;
  description?: string;
  webhooks?: boolean;
  prefix?: string;
  yes: boolean;
  force: boolean;
  help: boolean;
}

const args = {
  dir: { type: "positional", required: false, description: "Directory to create (default: the package name without its scope)" },
  name: { type: "string", description: "npm package name (default: from the directory name)" },
  description: { type: "string", description: 'One line saying what the plugin does (default: "A Cosmo plugin")' },
  webhooks: { type: "boolean", description: "Serve HTTP routes under a prefix (default: yes); --no-webhooks for none" },
  prefix: { type: "string", description: "Where the routes are mounted, e.g. /zigbee (default: / + the name)" },
  yes: { type: "boolean", alias: "y", description: "Ask nothing: take the default for every answer no flag gave" },
  force: { type: "boolean", description: "Write into a non-empty directory, overwriting files of the same names" },
} as const satisfies ArgsDef;

/** The command, for citty's `--help` rendering. */
export const command = defineCommand({
  meta: {
    name: "create-cosmo-plugin",
    version,
    description: "Create a Cosmo plugin: npm create cosmo-plugin [dir] -- [flags]",
  },
  args,
});

/** The help text: usage, flags, and the exit codes a script can rely on. */
export async function helpText(): Promise<string> {
  const usage = await renderUsage(command);
  const codes = `Exit codes: ${EXIT_CODES.ok} written, ${EXIT_CODES.failed} failed, ${EXIT_CODES.usage} usage (bad flag or answer, or answers missing without a terminal), ${EXIT_CODES.notEmpty} directory not empty, ${EXIT_CODES.cancelled} cancelled.`;
  return `${usage}\n\n${codes}\n`;
}

// The flags as parseArgs reads them; `--no-<flag>` spelled out, as Node 20's parseArgs has no negation.
function parseArgsOptions(): NonNullable<ParseArgsConfig["options"]> {
  const options: NonNullable<ParseArgsConfig["options"]> = {
    help: { type: "boolean", short: "h" },
    version: { type: "boolean", short: "v" },
  };
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    options[name] = { type: def.type, ...("alias" in def ? { short: def.alias } : {}) };
    if (def.type === "boolean") options[`no-${name}`] = { type: "boolean" };
  }
  return options;
}

const usage = (reason: string) => new CreateError("COSMO_E_CREATE_USAGE", { reason });

/** Parses argv (without node and the script) into Flags; throws COSMO_E_CREATE_USAGE on a bad one. */
export function parseFlags(argv: string[]): Flags {
  const options = parseArgsOptions();
  // Not strict: a strict parse stops at the first problem with a message of Node's own; the
  // tokens let each problem be told in our words.
  const { values, positionals, tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    if (!Object.hasOwn(options, token.name)) throw usage(`Unknown option ${token.rawName}`);
    if (options[token.name]?.type === "boolean" && token.value !== undefined) throw usage(`${token.rawName} takes no value`);
  }
  if (positionals.length > 1) {
    throw usage(`Expected one directory, got ${positionals.length}: ${positionals.join(" ")}; quote a name with spaces`);
  }
  const text = (flag: "name" | "description" | "prefix"): string | undefined => {
    const value = values[flag];
    if (value === undefined) return undefined;
    // A string flag given no value reads as `true` in a loose parse.
    if (typeof value !== "string" || value.trim() === "") throw usage(`--${flag} needs a value, e.g. --${flag}=<value>`);
    return value.trim();
  };
  const flag = (name: string) => values[name] === true;
  return {
    dir: positionals[0],
    name: text("name"),
    description: text("description"),
    // The last of --webhooks / --no-webhooks wins, as on any command line.
    webhooks: lastOf(tokens, "webhooks"),
    prefix: text("prefix"),
    yes: flag("yes"),
    force: flag("force"),
    help: flag("help"),
  };
}

/** true/false by the last `--<name>` or `--no-<name>` given, undefined when neither was. */
function lastOf(tokens: NonNullable<ReturnType<typeof parseArgs>["tokens"]>, name: string): boolean | undefined {
  let value: boolean | undefined;
  for (const token of tokens) {
    if (token.kind === "option" && token.name === name) value = true;
    if (token.kind === "option" && token.name === `no-${name}`) value = false;
  }
  return value;
}
