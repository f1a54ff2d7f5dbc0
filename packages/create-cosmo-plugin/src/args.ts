/**
 * The command line: citty's definition (which also renders `--help`) and the parse into
 * `Flags`. citty accepts unknown flags silently and turns a value-less `--name` into "", so both
 * are usage errors here: a typo must never quietly become a default.
 */
import { defineCommand, parseArgs, renderUsage, type ArgsDef } from "citty";
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

// Every spelling a flag may take, to catch the ones citty would ignore.
function knownFlags(): Set<string> {
  const known = new Set(["help", "h", "version", "v"]);
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    known.add(name);
    if ("alias" in def) known.add(def.alias);
    if (def.type === "boolean") known.add(`no-${name}`);
  }
  return known;
}

/** Parses argv (without node and the script) into Flags; throws COSMO_E_CREATE_USAGE on a bad one. */
export function parseFlags(argv: string[]): Flags {
  const known = knownFlags();
  for (const token of argv) {
    if (token === "--") break;
    if (!token.startsWith("-") || token === "-") continue;
    const flag = token.replace(/^--?/, "").split("=")[0] ?? "";
    if (!known.has(flag)) throw new CreateError("COSMO_E_CREATE_USAGE", `Unknown option ${token.split("=")[0]}. See --help.`);
  }
  const parsed = parseArgs(argv, args) as Record<string, unknown> & { _: string[] };
  const positionals = parsed._;
  if (positionals.length > 1) {
    throw new CreateError("COSMO_E_CREATE_USAGE", `Expected one directory, got ${positionals.length}: ${positionals.join(" ")}. Quote a name with spaces.`);
  }
  const text = (flag: "name" | "description" | "prefix"): string | undefined => {
    const value = parsed[flag];
    if (value === undefined) return undefined;
    if (typeof value !== "string" || value.trim() === "") throw new CreateError("COSMO_E_CREATE_USAGE", `--${flag} needs a value, e.g. --${flag}=...`);
    return value.trim();
  };
  return {
    dir: positionals[0],
    name: text("name"),
    description: text("description"),
    webhooks: typeof parsed.webhooks === "boolean" ? parsed.webhooks : undefined,
    prefix: text("prefix"),
    yes: parsed.yes === true,
    force: parsed.force === true,
    help: parsed.help === true || parsed.h === true,
  };
}
