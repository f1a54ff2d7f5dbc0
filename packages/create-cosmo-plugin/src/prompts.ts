/**
 * The questions, asked with @clack/prompts for whatever the flags left open. Each answer is
 * checked as it is typed, with the same checks a flag gets, so a bad answer is asked again
 * instead of failing at the end.
 */
import type { Readable, Writable } from "node:stream";
import { confirm, isCancel, text } from "@clack/prompts";
import { DEFAULT_DESCRIPTION, defaultPackageName, type PartialAnswers } from "./answers";
import { CreateError } from "./errors";
import { defaultPrefix, oneLine, packageNameProblem, prefixProblem } from "./validate";

/** Where the prompts read keys and draw; default the process's stdin and stdout. */
export interface PromptStreams {
  input?: Readable;
  output?: Writable;
}

// Ctrl-C or Escape at any prompt: stop, write nothing.
function answered<T>(value: T | symbol): Exclude<T, symbol> {
  if (isCancel(value)) throw new CreateError("COSMO_E_CREATE_CANCELLED", {});
  return value as Exclude<T, symbol>;
}

/** Asks for every answer `partial` lacks and returns them all (the directory is not asked). */
export async function askMissing(partial: PartialAnswers, streams: PromptStreams = {}): Promise<PartialAnswers> {
  const answers = { ...partial };
  const packageName =
    answers.packageName ??
    answered(
      await text({
        ...streams,
        message: "Package name (npm)",
        // Pre-filled rather than a placeholder: the default is then checked like a typed answer.
        initialValue: defaultPackageName(answers.dir),
        validate: (value) => packageNameProblem((value ?? "").trim()),
      }),
    ).trim();
  answers.packageName = packageName;
  if (answers.description === undefined) {
    const description = answered(
      await text({ ...streams, message: "Description", placeholder: DEFAULT_DESCRIPTION, defaultValue: DEFAULT_DESCRIPTION }),
    );
    answers.description = oneLine(description) || DEFAULT_DESCRIPTION;
  }
  if (answers.webhooks === undefined) {
    answers.webhooks = answered(await confirm({ ...streams, message: "Does it serve webhooks (HTTP routes)?", initialValue: true }));
  }
  if (answers.webhooks && answers.prefix === undefined) {
    answers.prefix = answered(
      await text({
        ...streams,
        message: "Webhook prefix (its routes are served under it)",
        initialValue: defaultPrefix(packageName),
        validate: (value) => prefixProblem((value ?? "").trim()),
      }),
    ).trim();
  }
  return answers;
}
