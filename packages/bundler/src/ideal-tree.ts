/**
 * Arborist's ideal tree for a package.json that exists only in memory. Arborist reads its root's
 * package.json from `path`; we hand it the bundled manifest instead, so a check writes nothing.
 *
 * Why not `buildIdealTree({ add })` on an empty root: `add` rewrites `file:` specs relative to the
 * root, and a plugin's peer on a host package then resolves that relative spec from the plugin's
 * own directory, lands on a second Link to a wrong path and crashes placement (Arborist 9.9,
 * "Cannot read properties of null (reading 'matches')"). Root specs that stay absolute, as they
 * are in a package.json on disk, do not have the problem.
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type Arborist from "@npmcli/arborist";
import { loadArborist } from "./npm-libs";

type LoadOptions = Parameters<Arborist["loadVirtual"]>[0] & { root?: Arborist.Node };

// Roots whose package came from memory. buildIdealTree reads the actual node_modules under a root
// that has no lockfile, on a fresh instance of this class; for these roots there is nothing on
// disk to read (and walking up from the path could pick up unrelated packages).
const inMemoryRoots = new WeakSet<object>();

/** An Arborist whose project root gets its package from memory (once, before the lockfile loads). */
function inMemoryRootArborist(Base: typeof Arborist) {
  return class InMemoryRootArborist extends Base {
    #manifest: Record<string, unknown> | undefined;

    constructor(options: Arborist.Options, manifest: Record<string, unknown>) {
      super(options);
      this.#manifest = manifest;
    }

    // buildIdealTree creates the root from `<path>/package.json` (absent or stale), then calls
    // loadVirtual({ root }) to lay the lockfile (if any) under it: the one public seam before edges
    // are resolved. Setting `package` recomputes the root's edges from the manifest.
    override async loadVirtual(options?: LoadOptions): Promise<Arborist.Node> {
      const root = options?.root;
      if (root !== undefined && this.#manifest !== undefined && (root as { isProjectRoot?: boolean }).isProjectRoot) {
        (root as unknown as { package: unknown }).package = this.#manifest;
        this.#manifest = undefined;
        inMemoryRoots.add(root);
      }
      return super.loadVirtual(options);
    }

    override async loadActual(options?: LoadOptions): Promise<Arborist.Node> {
      if (options?.root !== undefined && inMemoryRoots.has(options.root)) return options.root;
      return super.loadActual(options);
    }
  };
}

// Made once, when Arborist is first needed (npm-libs.ts says why it is not imported up front).
let InMemoryRootArborist: Promise<ReturnType<typeof inMemoryRootArborist>> | undefined;

/**
 * A directory to stand in as the root when there is no bundle yet. Arborist needs one that exists
 * and holds no lockfile; it must not contain the host either, or the host's linked packages would
 * count as inside the project and get their own dependencies re-resolved. This module's own
 * directory fits: it is never written and holds only code.
 */
export const scratchRoot: string = dirname(fileURLToPath(import.meta.url));

/**
 * Builds the ideal tree of `manifest` as if it were `<path>/package.json`, starting from the
 * lockfile in `path` when there is one (so only what changed is resolved), else from nothing.
 * `path` must exist; nothing is written to it.
 */
export async function buildIdealTreeInMemory(
  path: string,
  manifest: Record<string, unknown>,
  options: Arborist.Options,
): Promise<Arborist.Node> {
  const Class = await (InMemoryRootArborist ??= loadArborist().then(inMemoryRootArborist));
  const arb = new Class({ ...options, path }, structuredClone(manifest));
  return arb.buildIdealTree();
}
