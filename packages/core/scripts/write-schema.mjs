// Writes cosmo.schema.json from the built zod schema, so the JSON Schema editors read can never
// drift from the one the runtime validates with.
import { writeFileSync } from "node:fs";
import { manifestJsonSchema } from "../dist/index.js";

const schema = {
  ...manifestJsonSchema(),
  title: "cosmo.json",
  description: "The manifest of a Cosmo plugin package.",
};
writeFileSync(new URL("../cosmo.schema.json", import.meta.url), `${JSON.stringify(schema, null, 2)}\n`);
