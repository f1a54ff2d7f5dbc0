/**
 * The supervisor's side of a worker's marker (see MARKER_FD in fault.ts): a file per worker,
 * opened and unlinked at once, so nothing is left on disk whatever happens to either process;
 * the worker gets its fd as stdio, the supervisor keeps its own to read after the death.
 */
import { randomBytes } from "node:crypto";
import { closeSync, openSync, readSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MARKER_BYTES } from "./fault";

/** What a marker said: the index of the last plugin that ran, and the `v` it was written with. */
export interface Marked {
  index: number;
  v: number;
}

/** Opens a new, already unlinked, marker file; undefined when the temp dir is not writable. */
export function openMarker(): number | undefined {
  const path = join(tmpdir(), `cosmo-marker-${process.pid}-${randomBytes(6).toString("hex")}`);
  try {
    const fd = openSync(path, "wx+", 0o600);
    unlinkSync(path);
    return fd;
  } catch {
    return undefined;
  }
}

/** Reads a marker and closes it; undefined when nothing was written (or it cannot be read). */
export function takeMarker(fd: number): Marked | undefined {
  const bytes = new Uint8Array(MARKER_BYTES);
  try {
    if (readSync(fd, bytes, 0, MARKER_BYTES, 0) < MARKER_BYTES) return undefined;
    const words = new Int32Array(bytes.buffer);
    return { index: words[0]!, v: words[1]! };
  } catch {
    return undefined;
  } finally {
    try {
      closeSync(fd);
    } catch {
      // closed already
    }
  }
}
