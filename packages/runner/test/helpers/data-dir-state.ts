/**
 * What a runner's data dir holds, read the way a person checking it after a crash would: every
 * file the runner writes must parse, and the tracking file and the current bundle each name a
 * whole plugin set. Used after kill -9 in the reliability suite.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { currentLink } from "./bundles";

/** One data dir after a crash. */
export interface DataDirState {
  /** Files that exist but do not parse (relative to the data dir). */
  torn: string[];
  /** Package names in `installed_plugins.txt`, sorted (empty when there is none). */
  tracked: string[];
  /** Package names of `names` in the current bundle's node_modules, sorted; undefined: no whole bundle. */
  bundled: string[] | undefined;
}

const JSON_FILES = ["plugins/containment.json", "runner.json"];

/** The package name of a tracking-file line (`name@1.0.0`, `@scope/name@^1`). */
export function lineName(line: string): string {
  const at = line.lastIndexOf("@");
  return at > 0 ? line.slice(0, at) : line;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  // Dot files are the store's temp files (fs-atomic): a write cut short, never read as a key.
  return entries.filter((e) => e.isFile() && !e.name.startsWith(".")).map((e) => join(e.parentPath, e.name));
}

/** Reads `dataDir`; `names` are the plugin packages the test may have put in the bundle. */
export async function readDataDirState(dataDir: string, names: readonly string[]): Promise<DataDirState> {
  const torn: string[] = [];
  const parses = async (file: string, label: string) => {
    const text = await readFile(file, "utf8").catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      torn.push(label);
      return undefined;
    }
  };
  for (const file of JSON_FILES) await parses(join(dataDir, file), file);
  for (const file of await filesUnder(join(dataDir, "store"))) await parses(file, file.slice(dataDir.length + 1));

  const text = await readFile(join(dataDir, "plugins", "installed_plugins.txt"), "utf8").catch(() => "");
  const lines = text.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));
  // A line cut short is torn: every line the runner writes ends with a newline.
  if (text !== "" && !text.endsWith("\n")) torn.push("plugins/installed_plugins.txt");
  const tracked = lines.map(lineName).sort();

  let bundled: string[] | undefined;
  const link = await currentLink(dataDir);
  if (link !== undefined) {
    const lock = await parses(join(link, "package-lock.json"), "bundle/package-lock.json");
    const modules = await readdir(join(link, "node_modules")).catch(() => undefined);
    if (lock !== undefined && modules !== undefined) bundled = names.filter((n) => modules.includes(n)).sort();
  }
  return { torn, tracked, bundled };
}
