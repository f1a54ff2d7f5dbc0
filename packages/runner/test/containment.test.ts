import { describeContainment } from "./helpers/containment-suite";

// Every mode but the OOM in one runner, one after another: each fault's worker is replaced and
// the next fault must still be named. The OOM runs in containment-oom.test.ts, in a runner of its
// own: its worker thrashes its heap for a second or more before it dies, which would make every
// mode after it wait.
describeContainment("containment: a plugin's fault stays its own", [
  { mode: "exit", status: "quarantined" },
  { mode: "abort", status: "quarantined" },
  { mode: "kill-self", status: "quarantined" },
  { mode: "kill-parent", status: "quarantined" },
  { mode: "timer-throw", status: "quarantined" },
  { mode: "timer-exit", status: "quarantined" },
  { mode: "unhandled-rejection", status: "failed" },
  { mode: "block-loop", status: "quarantined" },
  { mode: "block-in-timer", status: "quarantined" },
  { mode: "block-after-await", status: "quarantined", busy: true },
]);
