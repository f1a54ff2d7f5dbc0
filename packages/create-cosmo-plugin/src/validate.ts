/**
 * The checks on the answers, each in two forms: `*Problem` returns what is wrong as text (what a
 * prompt shows under the input) and `check*` throws the coded error (what a flag gets). The
 * prefix rules are @cosmo/core's own manifest schema, so the scaffolder can never accept a
 * prefix that the host would later refuse.
 */
import { manifestSchema } from "@cosmo/core";
import validatePackageName from "validate-npm-package-name";
import { CreateError } from "./errors";

/** What is wrong with an npm package name for a new package, or undefined when nothing is. */
export function packageNameProblem(name: string): string | undefined {
  const result = validatePackageName(name);
  if (result.validForNewPackages) return undefined;
  // errors: never valid; warnings: valid for old packages only. A new package must pass both.
  const rules = [...(result.errors ?? []), ...(result.warnings ?? [])];
  return rules.join("; ") || "not a valid npm package name";
}

/** Throws COSMO_E_CREATE_INVALID_NAME naming the broken rule, unless `name` is a valid new npm name. */
export function checkPackageName(name: string): string {
  const problem = packageNameProblem(name);
  if (problem) throw new CreateError("COSMO_E_CREATE_INVALID_NAME", { name, problem });
  return name;
}

/** What is wrong with a webhook prefix (the rules of cosmo.json's `webhook_prefix`), or undefined. */
export function prefixProblem(prefix: string): string | undefined {
  const result = manifestSchema.shape.webhook_prefix.safeParse(prefix);
  if (result.success) return undefined;
  return `expected ${result.error.issues.map((issue) => issue.message).join("; ")}`;
}

/** Throws COSMO_E_CREATE_INVALID_PREFIX naming the broken rule, unless `prefix` is a valid webhook prefix. */
export function checkPrefix(prefix: string): string {
  const problem = prefixProblem(prefix);
  if (problem) throw new CreateError("COSMO_E_CREATE_INVALID_PREFIX", { prefix, problem });
  return prefix;
}

/** The package name without its scope: `@acme/zigbee` -> `zigbee`. Also the plugin's cosmo.json name. */
export function unscopedName(packageName: string): string {
  return packageName.replace(/^@[^/]+\//, "");
}

/**
 * A package name made from a directory name, for the default answer: lowercase, spaces and
 * other characters npm refuses turned into `-`. `My Plugin` -> `my-plugin`.
 */
export function packageNameFromDir(dirName: string): string {
  const name = dirName
    .trim()
    .toLowerCase()
    // "~" is allowed in old names only: validate-npm-package-name refuses it for new packages.
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+/, "")
    .replace(/-+$/, "");
  return name || "my-cosmo-plugin";
}

/** The default webhook prefix of a package: `/` + its unscoped name in the prefix alphabet. */
export function defaultPrefix(packageName: string): string {
  const segment = unscopedName(packageName).replace(/[^a-z0-9_-]+/g, "-");
  return `/${segment || "plugin"}`;
}

/** A description on one line: cosmo.json and package.json keep it as one. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
