import { describeContainment } from "./helpers/containment-suite";

// In a file (so a test process and a runner) of its own: see containment.test.ts.
describeContainment("containment: a plugin that runs its worker out of memory", [{ mode: "oom", status: "quarantined" }]);
