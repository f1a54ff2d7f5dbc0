import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { OPENAPI_JSON, OPENAPI_PAGE, renderOpenApiJson, renderOpenApiPage } from "./openapi-page";

describe("the OpenAPI page", () => {
  it("is in step with the runner's /openapi.json (else run `npm run docs:openapi`)", () => {
    expect(readFileSync(OPENAPI_PAGE, "utf8")).toBe(renderOpenApiPage());
    expect(readFileSync(OPENAPI_JSON, "utf8")).toBe(renderOpenApiJson());
  });
});
