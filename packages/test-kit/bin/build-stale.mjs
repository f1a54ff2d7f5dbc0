#!/usr/bin/env node
// The root `test` script runs this before the typecheck, which reads the packages' built .d.ts.
import { createJiti } from "jiti";

const { buildStale } = await createJiti(import.meta.url).import("../src/build-stale.ts");
buildStale();
