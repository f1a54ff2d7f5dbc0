import { describeContainment } from "./helpers/containment-suite";

// Every mode in one runner, one after another: each fault's worker is replaced, and the last
// (an OOM after eight replacements) must still be named. Regression: it once was not (the OOM
// ran in a runner of its own); the watchdog now wakes on every plugin entry, and a dead worker's
// fault pipe is read to its end, bounded from its death rather than from its fork.
describeContainment("containment: a plugin's fault stays its own", [
  { mode: "exit", status: "quarantined" },
  { mode: "abort", status: "quarantined" },
  { mode: "kill-self", status: "quarantined" },
  { mode: "kill-parent", status: "quarantined" },
  { mode: "timer-throw", status: "quarantined" },
  { mode: "timer-exit", status: "quarantined" },
  { mode: "unhandled-rejection", status: "failed" },
  { mode: "block-loop", status: "quarantined" },
  { mode: "oom", status: "quarantined" },
]);
