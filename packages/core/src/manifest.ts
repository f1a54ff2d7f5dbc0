/**
 * `cosmo.json`, the manifest every plugin package carries: its zod schema, and the small
 * checks that turn a file into a validated Manifest or one coded error naming the field.
 */
import semver from "semver";
import { z } from "zod";
import { createError, errorMessage } from "./errors";

/** Prefixes the host keeps for itself: its admin API, health check and internals. */
export const RESERVED_PREFIXES = ["/plugins", "/health", "/_cosmo"] as const;

// Lowercase path segments: letters, digits, `-`, `_`. No trailing slash, no empty segment.
const PREFIX_PATTERN = /^(\/[a-z0-9_-]+)+$/;
// "<module path>:<export>", both optional but not both empty. The module path is relative to the
// package root ("./" optional), never absolute and without a ".." segment, so a manifest can only
// point inside its own package. A bare identifier is an export of the main entry, as ":Name" is.
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
// Without "./", a module path must look like one (a "/" or a .js/.mjs/.cjs name), so a
// Python-style "pkg.Class" is refused here rather than failing later as a missing file.
const PLUGIN_CLASS_PATTERN =
  /^(?:[A-Za-z_$][\w$]*|:[A-Za-z_$][\w$]*|(?:\.\/|(?!\/)(?=[^:]*(?:\/|\.[cm]?js(?::|$))))(?!(?:[^:]*\/)?\.\.(?:\/|:|$))[^:]+(?::[A-Za-z_$][\w$]*)?)$/;

/** True when `prefix` is one of the reserved prefixes or sits under one. */
export function isReservedPrefix(prefix: string): boolean {
  return RESERVED_PREFIXES.some((r) => prefix === r || prefix.startsWith(`${r}/`));
}

/**
 * The prefix a plugin's routes are served under, or undefined when it serves none. The one rule
 * the runtime (routes, prefix clashes) and the install check share: a prefix counts only with
 * `requires_webhooks`.
 */
export function servedPrefix(manifest: Pick<Manifest, "requires_webhooks" | "webhook_prefix">): string | undefined {
  return manifest.requires_webhooks ? manifest.webhook_prefix : undefined;
}

/** True when two prefixes would claim the same requests (equal, or one nested in the other). */
export function prefixesOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/** The zod schema of `cosmo.json`. */
export const manifestSchema = z
  .object({
    $schema: z.string().optional().describe("Path or URL of the JSON Schema, for editors."),
    name: z.string().min(1).max(214).describe("The plugin's name, unique among a host's plugins."),
    version: z
      .string()
      .refine((v) => semver.valid(v) !== null, { message: "a semver version such as 1.0.0" })
      .describe("The plugin's version (semver)."),
    plugin_class: z
      .string()
      .min(1)
      .regex(PLUGIN_CLASS_PATTERN, {
        message:
          'a "<module path>:<export name>" such as "./dist/index.js:MyPlugin", ":MyPlugin" or "./dist/index.js" (the module path stays inside the package)',
      })
      .describe(
        'Where the plugin is: "<module path inside the package>:<export name>". No module = the package\'s main entry; no export = the default export.',
      ),
    description: z.string().optional().describe("One line saying what the plugin does."),
    requires_webhooks: z.boolean().default(false).describe("True when the plugin serves HTTP routes."),
    webhook_prefix: z
      .string()
      .regex(PREFIX_PATTERN, {
        message: "a path such as /zigbee: starts with /, lowercase segments of letters, digits, - and _",
      })
      .refine((p) => !isReservedPrefix(p), {
        message: `a prefix outside the reserved ${RESERVED_PREFIXES.join(", ")}`,
      })
      .optional()
      .describe("Where the plugin's routes are mounted; required when requires_webhooks is true."),
    cosmo: z
      .string()
      .refine((r) => semver.validRange(r) !== null, { message: "a semver range such as ^0.1.0" })
      .optional()
      .describe("The @cosmo/core versions the plugin supports (semver range); absent = any."),
  })
  .superRefine((m, ctx) => {
    if (m.requires_webhooks && m.webhook_prefix === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["webhook_prefix"],
        message: "a webhook_prefix, since requires_webhooks is true",
        input: undefined,
      });
    }
  });

/** A validated cosmo.json. */
export type Manifest = z.output<typeof manifestSchema>;

/** One thing wrong with a manifest, as data: which field, what was expected, what was found. */
export interface ManifestIssue {
  field: string;
  expected: string;
  found: string;
}

function describeFound(input: unknown): string {
  if (input === undefined) return "nothing";
  if (input === null) return "null";
  const text = typeof input === "string" ? JSON.stringify(input) : `${typeof input} ${JSON.stringify(input)}`;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function toIssue(issue: z.core.$ZodIssue): ManifestIssue {
  const field = issue.path.length > 0 ? issue.path.join(".") : "(root)";
  const input = (issue as { input?: unknown }).input;
  let expected = issue.message;
  if (issue.code === "invalid_type") expected = issue.expected === "object" ? "a JSON object" : `a ${issue.expected}`;
  return { field, expected, found: describeFound(input) };
}

/**
 * Validates parsed JSON as a manifest. Throws `COSMO_E_MANIFEST_INVALID` whose details name the
 * package and list every `{ field, expected, found }`.
 */
export function validateManifest(data: unknown, packageName: string): Manifest {
  const result = manifestSchema.safeParse(data, { reportInput: true });
  if (result.success) return result.data;
  const issues = result.error.issues.map(toIssue);
  const summary = issues.map((i) => `${i.field}: expected ${i.expected}, found ${i.found}`).join("; ");
  throw createError("COSMO_E_MANIFEST_INVALID", { package: packageName, summary, issues });
}

/** Parses and validates the text of a cosmo.json. Throws `COSMO_E_MANIFEST_JSON` on bad JSON. */
export function parseManifest(text: string, packageName: string): Manifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw createError("COSMO_E_MANIFEST_JSON", { package: packageName, reason: errorMessage(error) }, { cause: error });
  }
  return validateManifest(data, packageName);
}

/** `plugin_class` split in two; `module` undefined = the package's main, `exportName` "default" when absent. */
export function parsePluginClass(pluginClass: string): { module: string | undefined; exportName: string } {
  if (IDENTIFIER.test(pluginClass)) return { module: undefined, exportName: pluginClass };
  const colon = pluginClass.lastIndexOf(":");
  const modulePart = colon === -1 ? pluginClass : pluginClass.slice(0, colon);
  const exportPart = colon === -1 ? "" : pluginClass.slice(colon + 1);
  // "dist/index.js" and "./dist/index.js" name the same file: keep one spelling.
  const module = modulePart === "" ? undefined : modulePart.startsWith("./") ? modulePart : `./${modulePart}`;
  return { module, exportName: exportPart || "default" };
}

/** The JSON Schema of cosmo.json (what ships as @cosmo/core/cosmo.schema.json). */
export function manifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(manifestSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}
