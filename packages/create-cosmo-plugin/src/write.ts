/**
 * Writes a plugin from the template: `template/base/` plus `template/webhooks/` or
 * `template/no-webhooks/` (a variant's file wins over a base file of the same path). Every
 * `{{placeholder}}` is filled from the answers, escaped for the file it lands in; the rendered
 * cosmo.json goes through @cosmo/core's own manifest check before anything is written.
 */
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { coreVersion, validateManifest } from "@cosmo/core";
import type { Answers } from "./answers";
import { CreateError } from "./errors";
import { unscopedName } from "./validate";

/**
 * The template folder. Both `src/write.ts` and the built `dist/index.js` sit one level below
 * the package root, so one relative path serves tests from source and the published bin.
 */
export const TEMPLATE_DIR = fileURLToPath(new URL("../template", import.meta.url));

// npm leaves .gitignore out of published packages, so the template keeps it under another name.
const RENAMES: Record<string, string> = { _gitignore: ".gitignore" };

/** The @cosmo/core range a new plugin declares: the running core's major.minor and up, `^0.1.0`. */
export function coreRange(version: string = coreVersion): string {
  const [major, minor] = version.split(".");
  return `^${major}.${minor}.0`;
}

/** The values of the template's placeholders. */
export function placeholders(answers: Answers): Record<string, string> {
  return {
    packageName: answers.packageName,
    pluginName: unscopedName(answers.packageName),
    description: answers.description,
    prefix: answers.prefix ?? "",
    coreRange: coreRange(),
  };
}

// Placeholders inside JSON and TypeScript sit in double-quoted strings: escape as JSON does.
function escapeFor(file: string, value: string): string {
  return /\.(json|ts)$/.test(file) ? JSON.stringify(value).slice(1, -1) : value;
}

/** Fills `{{name}}` placeholders; an unknown one is a template bug and throws. */
export function render(file: string, text: string, values: Record<string, string>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template ${file}: unknown placeholder {{${key}}}`);
    return escapeFor(file, value);
  });
}

async function listFiles(root: string, dir = root): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(root, path)));
    else files.push(relative(root, path));
  }
  return files;
}

/** The files of a new plugin, path (relative, `/`-separated) -> content, in write order. */
export async function renderPlugin(answers: Answers, templateDir: string = TEMPLATE_DIR): Promise<Map<string, string>> {
  const layers = ["base", answers.webhooks ? "webhooks" : "no-webhooks"].map((name) => join(templateDir, name));
  const sources = new Map<string, string>();
  for (const layer of layers) {
    for (const file of await listFiles(layer)) {
      const target = file.split(/[\\/]/).map((part) => RENAMES[part] ?? part).join("/");
      sources.set(target, join(layer, file));
    }
  }
  const values = placeholders(answers);
  const files = new Map<string, string>();
  for (const [target, source] of [...sources].sort(([a], [b]) => a.localeCompare(b))) {
    files.set(target, render(target, await readFile(source, "utf8"), values));
  }
  // Belt and braces: what we write must be a manifest the host accepts.
  validateManifest(JSON.parse(files.get("cosmo.json") ?? "null"), answers.packageName);
  return files;
}

/** True when `dir` is missing or holds nothing but a `.git` (a fresh clone is fine to fill). */
export async function isEmptyDir(dir: string): Promise<boolean> {
  const found = await stat(dir).catch(() => undefined);
  if (found === undefined) return true;
  if (!found.isDirectory()) throw new CreateError("COSMO_E_CREATE_WRITE_FAILED", { dir, reason: "it is a file, not a directory", fix: "Choose another directory." });
  const entries = await readdir(dir);
  return entries.every((entry) => entry === ".git");
}

/**
 * Writes the plugin into `answers.dir`. Refuses a non-empty directory (COSMO_E_CREATE_DIR_NOT_EMPTY)
 * unless `force`, which overwrites files of the same names and leaves every other file alone.
 * Returns the paths written, relative to the directory.
 */
export async function writePlugin(answers: Answers, options: { force?: boolean } = {}): Promise<string[]> {
  const { dir } = answers;
  if (!options.force && !(await isEmptyDir(dir))) {
    throw new CreateError("COSMO_E_CREATE_DIR_NOT_EMPTY", { dir });
  }
  const files = await renderPlugin(answers);
  try {
    for (const [path, content] of files) {
      const target = join(dir, path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CreateError("COSMO_E_CREATE_WRITE_FAILED", { dir, reason }, { cause: error });
  }
  return [...files.keys()];
}
