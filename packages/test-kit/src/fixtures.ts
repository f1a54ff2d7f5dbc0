import { fileURLToPath } from "node:url";

/** The fixture packages every test registry publishes (see fixtures/README.md). */
export const fixturesDir = fileURLToPath(new URL("../fixtures", import.meta.url));
