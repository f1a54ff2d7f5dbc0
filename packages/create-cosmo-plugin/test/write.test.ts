import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import semver from "semver";
import { describe, expect, it } from "vitest";
import { coreVersion } from "@cosmo/core";
import { TEMPLATE_DIR, coreRange, render, renderPlugin } from "../src/write";

const answers = { dir: "/nowhere", packageName: "@acme/zigbee", description: 'A "quoted" \\ one', webhooks: true, prefix: "/zb" };

describe("renderPlugin", () => {
  it("escapes answers for JSON, so a description with quotes and backslashes stays valid JSON", async () => {
    const files = await renderPlugin(answers);
    expect(JSON.parse(files.get("package.json")!).description).toBe(answers.description);
    expect(JSON.parse(files.get("cosmo.json")!).description).toBe(answers.description);
  });

  it("throws on a placeholder the answers do not fill (a template bug)", () => {
    expect(() => render("x.json", "{{nope}}", {})).toThrow(/unknown placeholder \{\{nope\}\}/);
  });

  it("declares the running @cosmo/core's major.minor as the peer range", () => {
    expect(coreRange("1.4.2")).toBe("^1.4.0");
    expect(semver.satisfies(coreVersion, coreRange())).toBe(true);
  });

  it("declares tool ranges the workspace's own tsup, vitest and typescript satisfy (what the end-to-end test builds with)", async () => {
    const pkg = JSON.parse(await readFile(join(TEMPLATE_DIR, "base/package.json"), "utf8")) as { devDependencies: Record<string, string> };
    const require = createRequire(import.meta.url);
    for (const tool of ["tsup", "vitest", "typescript"]) {
      const { version } = require(`${tool}/package.json`) as { version: string };
      expect(semver.satisfies(version, pkg.devDependencies[tool]!), `${tool}@${version} vs ${pkg.devDependencies[tool]}`).toBe(true);
    }
  });
});

describe("packageNameFromDir", () => {
  it("turns any directory name into a name npm accepts for a new package (regression: ~ was kept)", async () => {
    const { packageNameFromDir, packageNameProblem } = await import("../src/validate");
    for (const dir of ["my~plugin", "My Plugin", "..hidden", "ünïcode", "a__b"]) {
      const name = packageNameFromDir(dir);
      expect(packageNameProblem(name), `${dir} -> ${name}`).toBeUndefined();
    }
  });
});
