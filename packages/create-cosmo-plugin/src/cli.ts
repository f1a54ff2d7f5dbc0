/**
 * `create-cosmo-plugin [dir]`: flags, then prompts for what they left open (only on a
 * terminal), then the files. Returns the exit code rather than exiting, so it can be called
 * in-process; the bin sets it on the process.
 */
import { relative } from "node:path";
import { intro } from "@clack/prompts";
import { answersFromFlags, FLAG_OF, missingAnswers, withDefaults, type Answers } from "./answers";
import { helpText, parseFlags } from "./args";
import { CreateError, EXIT_CODES, isCreateError } from "./errors";
import { askMissing, type PromptStreams } from "./prompts";
import { writePlugin } from "./write";
// Named import: tsup inlines just the version, not the whole manifest.
import { version } from "../package.json";

/** Where the CLI runs: its working dir, streams and whether a person can answer prompts. */
export interface CliEnvironment extends PromptStreams {
  cwd?: string;
  /** Whether to prompt; default: stdin and stdout are both terminals. */
  interactive?: boolean;
  /** Where messages go; default console.log / console.error. */
  log?: (line: string) => void;
  error?: (line: string) => void;
}

/** Runs the CLI on `argv` (without node and the script) and resolves with the exit code. */
export async function runCli(argv: string[], env: CliEnvironment = {}): Promise<number> {
  const log = env.log ?? ((line: string) => console.log(line));
  const error = env.error ?? ((line: string) => console.error(line));
  try {
    const flags = parseFlags(argv);
    if (flags.help) {
      log(await helpText());
      return EXIT_CODES.ok;
    }
    if (argv.includes("--version") || argv.includes("-v")) {
      log(version);
      return EXIT_CODES.ok;
    }
    const cwd = env.cwd ?? process.cwd();
    const answers = await resolveAnswers(flags.yes, answersFromFlags(flags, cwd), cwd, env);
    const files = await writePlugin(answers, { force: flags.force });
    log(summary(answers, files, cwd));
    return EXIT_CODES.ok;
  } catch (caught) {
    if (isCreateError(caught)) {
      error(`error ${caught.code}: ${caught.message}`);
      return caught.exitCode;
    }
    error(`error: ${caught instanceof Error ? (caught.stack ?? caught.message) : String(caught)}`);
    return EXIT_CODES.failed;
  }
}

async function resolveAnswers(yes: boolean, partial: Parameters<typeof withDefaults>[0], cwd: string, env: CliEnvironment): Promise<Answers> {
  const missing = missingAnswers(partial);
  if (yes || missing.length === 0) return withDefaults(partial, cwd);
  const interactive = env.interactive ?? Boolean(process.stdin.isTTY && process.stdout.isTTY);
  if (!interactive) {
    // A pipe or CI would wait forever on a prompt nobody sees: say which flags answer instead.
    const flags = missing.map((key) => FLAG_OF[key]).join(", ");
    throw new CreateError("COSMO_E_CREATE_MISSING_ANSWERS", { flags });
  }
  intro(`create-cosmo-plugin ${version}`, env.output ? { output: env.output } : undefined);
  return withDefaults(await askMissing(partial, env), cwd);
}

function summary(answers: Answers, files: string[], cwd: string): string {
  const where = relative(cwd, answers.dir) || ".";
  const lines = [`Created ${answers.packageName} in ${where}:`, ...files.map((file) => `  ${file}`), "", "Next:"];
  if (where !== ".") lines.push(`  cd ${/\s/.test(where) ? JSON.stringify(where) : where}`);
  lines.push("  npm install    # also builds dist/", "  npm test", "  npx cosmo-runner plugins install ./ --apply", "  npx cosmo-runner start");
  if (answers.webhooks) lines.push(`Then POST http://127.0.0.1:3000${answers.prefix}/hello answers. README.md says more.`);
  else lines.push("README.md says more.");
  return lines.join("\n");
}

/** What the bin runs: the CLI on process.argv, its exit code set on the process. */
export async function run(): Promise<void> {
  process.exitCode = await runCli(process.argv.slice(2));
}
