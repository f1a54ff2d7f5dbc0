import { readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  RESERVED_PREFIXES,
  isCosmoError,
  isReservedPrefix,
  manifestJsonSchema,
  parseManifest,
  parsePluginClass,
  prefixesOverlap,
  validateManifest,
  type CosmoError,
  type ManifestIssue,
} from "../src/index";

const PKG = "@acme/smart-switch";
const valid = {
  name: "smart-switch",
  version: "1.2.0",
  plugin_class: "./dist/index.js:SmartSwitch",
  description: "Turns lights on and off.",
  requires_webhooks: true,
  webhook_prefix: "/smart-switch",
  cosmo: "^0.1.0",
};

/** Validates `valid` with `patch` applied (undefined deletes a field); returns the error or undefined. */
function errorFor(patch: Record<string, unknown>): CosmoError | undefined {
  const data: Record<string, unknown> = { ...valid, ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete data[k];
  try {
    validateManifest(data, PKG);
    return undefined;
  } catch (error) {
    if (!isCosmoError(error)) throw error;
    return error;
  }
}

function issuesFor(patch: Record<string, unknown>): ManifestIssue[] {
  return (errorFor(patch)?.details.issues as ManifestIssue[] | undefined) ?? [];
}

const fields = (patch: Record<string, unknown>) => issuesFor(patch).map((i) => i.field);

describe("validateManifest", () => {
  it("accepts a manifest with every field and returns it as typed data", () => {
    expect(validateManifest(valid, PKG)).toEqual(valid);
  });

  it("accepts the three required fields alone and defaults requires_webhooks to false", () => {
    const m = validateManifest({ name: "x", version: "0.0.1", plugin_class: ":X" }, PKG);
    expect(m.requires_webhooks).toBe(false);
    expect(m.webhook_prefix).toBeUndefined();
    expect(m.cosmo).toBeUndefined();
  });

  it.each(["name", "version", "plugin_class"])("rejects a manifest without %s, naming the field", (field) => {
    expect(issuesFor({ [field]: undefined })).toEqual([expect.objectContaining({ field, found: "nothing" })]);
  });

  it("rejects an empty name and one longer than npm allows", () => {
    expect(fields({ name: "" })).toEqual(["name"]);
    expect(fields({ name: "n".repeat(215) })).toEqual(["name"]);
    expect(errorFor({ name: "n".repeat(214) })).toBeUndefined();
  });

  it.each(["1.0.0", "0.1.0-beta.2", "10.20.30+build.5"])("accepts the semver version %s", (version) => {
    expect(errorFor({ version })).toBeUndefined();
  });

  it.each(["1.0", "latest", "1.0.0.0", "^1.0.0", ""])("rejects the version %j, expecting semver", (version) => {
    const issues = issuesFor({ version });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ field: "version", found: JSON.stringify(version) });
    expect(issues[0]?.expected).toMatch(/semver/);
  });

  it.each([
    ["./dist/index.js:SmartSwitch", "./dist/index.js", "SmartSwitch"],
    ["./index.js", "./index.js", "default"],
    [":SmartSwitch", undefined, "SmartSwitch"],
    ["./shared/plugin.mjs:$Plugin_2", "./shared/plugin.mjs", "$Plugin_2"],
    ["./index.js:default", "./index.js", "default"],
    // Lenient spellings a plugin author may well write: "./" left out, or the export name alone.
    ["dist/index.js:SmartSwitch", "./dist/index.js", "SmartSwitch"],
    ["dist/index.js", "./dist/index.js", "default"],
    ["SmartSwitch", undefined, "SmartSwitch"],
  ])("accepts plugin_class %j as module %j and export %j", (pluginClass, module, exportName) => {
    expect(errorFor({ plugin_class: pluginClass })).toBeUndefined();
    expect(parsePluginClass(pluginClass)).toEqual({ module, exportName });
  });

  it.each(["", ":", "smart_switch.SmartSwitchPlugin", "./index.js:", "./index.js:1Plugin", "./a.js:b:C", "/abs/index.js:X", "../x.js:X", "./a/../../x.js:X", "./..:X"])(
    "rejects plugin_class %j, showing the expected form",
    (pluginClass) => {
      const issues = issuesFor({ plugin_class: pluginClass });
      expect(issues.map((i) => i.field)).toContain("plugin_class");
      expect(issues.find((i) => i.field === "plugin_class")?.found).toBe(JSON.stringify(pluginClass));
    },
  );

  it("requires a webhook_prefix when requires_webhooks is true", () => {
    const issues = issuesFor({ webhook_prefix: undefined });
    expect(issues).toEqual([{ field: "webhook_prefix", expected: expect.stringMatching(/requires_webhooks/), found: "nothing" }]);
  });

  it("accepts a manifest without webhooks and without a prefix", () => {
    expect(errorFor({ requires_webhooks: false, webhook_prefix: undefined })).toBeUndefined();
    expect(errorFor({ requires_webhooks: undefined, webhook_prefix: undefined })).toBeUndefined();
  });

  it.each(["/zigbee", "/a", "/smart-switch/v2", "/my_plugin/hooks-1"])("accepts the webhook_prefix %j", (prefix) => {
    expect(errorFor({ webhook_prefix: prefix })).toBeUndefined();
  });

  it.each(["zigbee", "/", "/Zigbee", "/zigbee/", "//zigbee", "/zig bee", "/zig.bee", "/zigbee/:id", ""])(
    "rejects the webhook_prefix %j, expecting a lowercase path",
    (prefix) => {
      const issues = issuesFor({ webhook_prefix: prefix });
      expect(issues.map((i) => i.field)).toContain("webhook_prefix");
      expect(issues[0]?.expected).toMatch(/starts with \//);
    },
  );

  it.each(["/plugins", "/health", "/_cosmo", "/plugins/mine", "/health/live", "/_cosmo/a/b"])(
    "rejects the reserved webhook_prefix %j or a path under one",
    (prefix) => {
      const issues = issuesFor({ webhook_prefix: prefix });
      expect(issues).toEqual([{ field: "webhook_prefix", expected: expect.stringMatching(/reserved/), found: JSON.stringify(prefix) }]);
    },
  );

  it.each(["/pluginsx", "/healthy", "/cosmo", "/my/plugins"])("accepts %j, which only looks like a reserved prefix", (prefix) => {
    expect(errorFor({ webhook_prefix: prefix })).toBeUndefined();
  });

  it.each(["^0.1.0", ">=0.1.0 <2", "0.x", "*", "~1.2.3 || ^2.0.0"])("accepts the cosmo host range %j", (range) => {
    expect(errorFor({ cosmo: range })).toBeUndefined();
  });

  it.each(["latest", "not a range", ">>1"])("rejects the cosmo host range %j, expecting a semver range", (range) => {
    expect(issuesFor({ cosmo: range })).toEqual([
      { field: "cosmo", expected: expect.stringMatching(/semver range/), found: JSON.stringify(range) },
    ]);
  });

  it("names wrong JSON types by the type expected and the value found", () => {
    const issues = issuesFor({ version: 1, requires_webhooks: "yes", description: 42 });
    expect(issues).toEqual(
      expect.arrayContaining([
        { field: "version", expected: "a string", found: "number 1" },
        { field: "requires_webhooks", expected: "a boolean", found: '"yes"' },
        { field: "description", expected: "a string", found: "number 42" },
      ]),
    );
  });

  it.each([null, [], "cosmo", 3])("rejects %j as a whole, expecting a JSON object", (data) => {
    let error: unknown;
    try {
      validateManifest(data, PKG);
    } catch (e) {
      error = e;
    }
    expect((error as CosmoError).details.issues).toEqual([expect.objectContaining({ field: "(root)", expected: "a JSON object" })]);
  });

  it("throws COSMO_E_MANIFEST_INVALID whose message names the package, each field, what was expected and what was found", () => {
    const error = errorFor({ version: "one", webhook_prefix: "/Bad" });
    expect(error?.code).toBe("COSMO_E_MANIFEST_INVALID");
    expect(error?.status).toBe(422);
    expect(error?.details.package).toBe(PKG);
    expect(error?.message).toContain(PKG);
    expect(error?.message).toContain('version: expected a semver version such as 1.0.0, found "one"');
    expect(error?.message).toMatch(/webhook_prefix: expected a path such as \/zigbee.*, found "\/Bad"/);
  });

  it("shortens a long found value in the message", () => {
    const issue = issuesFor({ name: 1, description: { text: "x".repeat(200) } }).find((i) => i.field === "description");
    expect(issue?.found.length).toBeLessThanOrEqual(80);
    expect(issue?.found.endsWith("...")).toBe(true);
  });
});

describe("parseManifest", () => {
  it("parses and validates the text of a cosmo.json", () => {
    expect(parseManifest(JSON.stringify(valid), PKG)).toEqual(valid);
  });

  it("throws COSMO_E_MANIFEST_JSON naming the package and the parser's reason for text that is not JSON", () => {
    let error: unknown;
    try {
      parseManifest('{ "name": "x", }', PKG);
    } catch (e) {
      error = e;
    }
    expect(isCosmoError(error)).toBe(true);
    expect(error).toMatchObject({ code: "COSMO_E_MANIFEST_JSON", status: 422, details: { package: PKG } });
    expect((error as CosmoError).message).toContain(PKG);
    expect(String((error as CosmoError).details.reason)).not.toBe("");
  });

  it("throws COSMO_E_MANIFEST_INVALID for valid JSON that is not a valid manifest", () => {
    expect(() => parseManifest("{}", PKG)).toThrow(expect.objectContaining({ code: "COSMO_E_MANIFEST_INVALID" }));
  });
});

describe("prefix helpers", () => {
  it("reserves exactly /plugins, /health and /_cosmo with their sub-paths", () => {
    expect([...RESERVED_PREFIXES]).toEqual(["/plugins", "/health", "/_cosmo"]);
    expect(isReservedPrefix("/health/ready")).toBe(true);
    expect(isReservedPrefix("/healthz")).toBe(false);
  });

  it("treats equal and nested prefixes as overlapping, and siblings that share letters as not", () => {
    expect(prefixesOverlap("/zigbee", "/zigbee")).toBe(true);
    expect(prefixesOverlap("/zigbee", "/zigbee/v2")).toBe(true);
    expect(prefixesOverlap("/zigbee/v2", "/zigbee")).toBe(true);
    expect(prefixesOverlap("/zigbee", "/zigbee2")).toBe(false);
    expect(prefixesOverlap("/a/b", "/a/c")).toBe(false);
  });
});

describe("cosmo.schema.json", () => {
  const shipped = fileURLToPath(new URL("../cosmo.schema.json", import.meta.url));

  function readShipped(): Record<string, unknown> {
    try {
      return JSON.parse(readFileSync(shipped, "utf8")) as Record<string, unknown>;
    } catch (error) {
      throw new Error(`${shipped} is missing or broken: run \`npm run build -w @cosmo/core\` first`, { cause: error });
    }
  }

  it("is written by the build next to package.json", () => {
    expect(readShipped()).toMatchObject({ title: "cosmo.json", type: "object" });
  });

  it("is reachable as @cosmo/core/cosmo.schema.json through the package exports", () => {
    const require = createRequire(import.meta.url);
    expect(realpathSync(require.resolve("@cosmo/core/cosmo.schema.json"))).toBe(realpathSync(shipped));
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { files: string[] };
    expect(pkg.files).toContain("cosmo.schema.json");
  });

  it("matches the schema generated from the zod manifest schema (it is not stale)", () => {
    const { title: _t, description: _d, ...rest } = readShipped();
    const { description: _gd, ...generated } = manifestJsonSchema();
    expect(rest).toEqual(generated);
  });

  it("accepts every field of a valid manifest: required ones present, each of the declared type and pattern", () => {
    const schema = readShipped() as {
      properties: Record<string, { type: string; pattern?: string; minLength?: number; maxLength?: number }>;
      required: string[];
    };
    for (const field of schema.required) expect(valid, field).toHaveProperty(field);
    for (const [field, value] of Object.entries(valid)) {
      const rule = schema.properties[field];
      expect(rule, field).toBeDefined();
      expect(typeof value, field).toBe(rule?.type);
      if (rule?.pattern) expect(value, field).toMatch(new RegExp(rule.pattern, "u"));
      if (rule?.minLength !== undefined) expect(String(value).length).toBeGreaterThanOrEqual(rule.minLength);
      if (rule?.maxLength !== undefined) expect(String(value).length).toBeLessThanOrEqual(rule.maxLength);
    }
  });

  it("rejects in its patterns the prefixes and plugin_class forms the runtime rejects", () => {
    const { properties } = readShipped() as { properties: Record<string, { pattern: string }> };
    const prefix = new RegExp(properties.webhook_prefix?.pattern ?? "^$", "u");
    const pluginClass = new RegExp(properties.plugin_class?.pattern ?? "^$", "u");
    expect(prefix.test("/Zigbee")).toBe(false);
    expect(prefix.test("/zigbee/")).toBe(false);
    expect(pluginClass.test("/abs/index.js:X")).toBe(false);
    expect(pluginClass.test("../x.js:X")).toBe(false);
    expect(pluginClass.test(":X")).toBe(true);
  });
});
