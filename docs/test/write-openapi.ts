// `npm run docs:openapi`: rewrites docs/reference/openapi.md and docs/public/openapi.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { OPENAPI_JSON, OPENAPI_PAGE, renderOpenApiJson, renderOpenApiPage } from "./openapi-page";

mkdirSync(dirname(OPENAPI_JSON), { recursive: true });
writeFileSync(OPENAPI_PAGE, renderOpenApiPage());
writeFileSync(OPENAPI_JSON, renderOpenApiJson());
console.log(`wrote ${OPENAPI_PAGE} and ${OPENAPI_JSON}`);
