/** Whether a process of this host still runs: what tells an abandoned lock or file from a live one. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}
