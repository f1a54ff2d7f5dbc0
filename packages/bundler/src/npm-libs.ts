/**
 * npm's installer (Arborist) and fetcher (pacote), loaded on first use. Importing the two runs
 * several hundred modules, about a second of CPU on a busy machine; a server worker imports this
 * package at every start (tracking file, store helpers) but needs an installer only when it
 * checks or syncs. Loading them here, lazily, keeps that second out of every reload.
 */
import type Arborist from "@npmcli/arborist";
import type pacote from "pacote";

let arborist: Promise<typeof Arborist> | undefined;
let pacoteModule: Promise<typeof pacote> | undefined;

/** The Arborist class (imported once, on the first call). */
export function loadArborist(): Promise<typeof Arborist> {
  return (arborist ??= import("@npmcli/arborist").then((m) => m.default));
}

/** pacote (imported once, on the first call). */
export function loadPacote(): Promise<typeof pacote> {
  return (pacoteModule ??= import("pacote").then((m) => m.default));
}

/**
 * Starts loading Arborist and pacote in the background, for a process that expects to check or
 * sync soon (a worker that was just asked to uninstall a plugin will likely be asked to apply).
 * Resolves once both are loaded.
 */
export function preloadInstaller(): Promise<void> {
  // Never rejects: a failed load shows up, with its reason, at the call that needs the module.
  return Promise.all([loadArborist(), loadPacote()]).then(
    () => undefined,
    () => undefined,
  );
}
