/**
 * Finds the file a plugin's `plugin_class` points at, inside its own package, and tells whether
 * Node will load it as CommonJS. `exports` is read by resolve.exports; the files are on disk.
 */
import { readFileSync, statSync } from "node:fs";
import { dirname, extname, join, relative, resolve, sep, isAbsolute } from "node:path";

import { exports as resolveExports } from "resolve.exports";

// Conditions matched for a plugin's entry: what Node's `import()` matches ("node", "import" and
// "default" are resolve.exports' own), plus "require" so a CommonJS-only package (exports
// { require }) still loads. As in Node, the first key of the object (in the order written) that
// is one of these wins; the order of this list does not matter.
const CONDITIONS = ["module-sync", "require"];
const EXTENSIONS = ["", ".js", ".mjs", ".cjs", "/index.js", "/index.mjs", "/index.cjs"];

const isFile = (path: string): boolean => {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** The package's main entry as Node would import it: `exports["."]`, then `main`, then index.js. */
export function mainEntry(packageJson: Record<string, unknown>): string {
  if (packageJson.exports !== undefined && packageJson.exports !== null) {
    try {
      const [target] = resolveExports(packageJson, ".", { conditions: CONDITIONS }) ?? [];
      if (target !== undefined) return target;
    } catch {
      // no "." entry, or none for these conditions: fall back to main, as before exports existed
    }
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
/** True when Node loads `file` as CommonJS; `packageJson` is the package dir's, when already read. */
export function isCommonJs(file: string, packageDir: string, packageJson?: Record<string, unknown>): boolean {
  const ext = extname(file);
  if (ext === ".cjs") return true;
  if (ext === ".mjs") return false;
  let dir = dirname(file);
  for (;;) {
    if (dir === packageDir && packageJson) return packageJson.type !== "module";
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
