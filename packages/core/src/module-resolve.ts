/**
 * Finds the file a plugin's `plugin_class` points at, inside its own package, and tells whether
 * Node will load it as CommonJS. Only node builtins: the package is already on disk.
 */
import { readFileSync, statSync } from "node:fs";
import { dirname, extname, join, relative, resolve, sep, isAbsolute } from "node:path";

// Conditions matched for a plugin's entry: what Node's `import()` matches, plus "require" so a
// CommonJS-only package (exports { require }) still loads. As in Node, the first key of the
// object (in the order written) that is one of these wins; the order of this set does not matter.
const CONDITIONS = new Set(["node", "import", "module-sync", "default", "require"]);
const EXTENSIONS = ["", ".js", ".mjs", ".cjs", "/index.js", "/index.mjs", "/index.cjs"];

const isFile = (path: string): boolean => {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

// `exports` target for ".": a string, a condition object (possibly nested) or an array of either.
function pickTarget(target: unknown): string | undefined {
  if (typeof target === "string") return target;
  if (Array.isArray(target)) {
    for (const item of target) {
      const found = pickTarget(item);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof target === "object" && target !== null) {
    for (const [condition, value] of Object.entries(target as Record<string, unknown>)) {
      if (!CONDITIONS.has(condition)) continue;
      const found = pickTarget(value);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The package's main entry as Node would import it: `exports["."]`, then `main`, then index.js. */
export function mainEntry(packageJson: Record<string, unknown>): string {
  const exp = packageJson.exports;
  if (exp !== undefined && exp !== null) {
    // `exports` is either the "." target itself or a map whose keys all start with ".".
    const isSubpathMap = typeof exp === "object" && !Array.isArray(exp) && Object.keys(exp).some((k) => k.startsWith("."));
    const target = pickTarget(isSubpathMap ? (exp as Record<string, unknown>)["."] : exp);
    if (target !== undefined) return target;
  }
  if (typeof packageJson.main === "string" && packageJson.main !== "") return packageJson.main;
  return "./index.js";
}

/** Absolute path of the plugin module, or undefined when no such file is inside `dir`. */
export function resolvePluginFile(dir: string, packageJson: Record<string, unknown>, module: string | undefined): string | undefined {
  const wanted = resolve(dir, module ?? mainEntry(packageJson));
  // plugin_class may say "../x": a plugin must not load code from outside its own package.
  const rel = relative(dir, wanted);
  if (rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel)) return undefined;
  for (const ext of EXTENSIONS) {
    if (isFile(wanted + ext)) return wanted + ext;
  }
  return undefined;
}

/** The spec string shown in errors: what cosmo.json says, or the main entry it stood for. */
export function moduleLabel(packageJson: Record<string, unknown>, module: string | undefined): string {
  return module ?? `${mainEntry(packageJson)} (the package's main entry)`;
}

// Node decides CJS vs ESM for a .js file by the nearest package.json "type"; we stop at the
// package dir because the plugin's own package.json is the last one that applies to it.
/** True when Node loads `file` as CommonJS. */
export function isCommonJs(file: string, packageDir: string): boolean {
  const ext = extname(file);
  if (ext === ".cjs") return true;
  if (ext === ".mjs") return false;
  let dir = dirname(file);
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { type?: unknown };
      return pkg.type !== "module";
    } catch {
      // no (readable) package.json here: look one level up
    }
    if (dir === packageDir || dirname(dir) === dir || !dir.startsWith(packageDir)) return true;
    dir = dirname(dir);
  }
}
