import type { ArgsDef } from "citty";
import { describe, expect, it } from "vitest";
import { checkFlags } from "../../src/cli/usage";

const args = {
  source: { type: "positional", required: true },
  "data-dir": { type: "string" },
  json: { type: "boolean" },
  cluster: { type: "boolean", default: true },
  yes: { type: "boolean", alias: "y" },
} as const satisfies ArgsDef;

const refusal = (argv: string[]) => {
  try {
    checkFlags(argv, args, "plugins add");
    return undefined;
  } catch (error) {
    return (error as Error & { code: string }).message;
  }
};

describe("checkFlags", () => {
  it("accepts every spelling citty accepts: --flag=value, --no-<boolean>, a one-letter alias, -h", () => {
    expect(refusal(["x", "--data-dir=/tmp/d", "--no-cluster", "-y", "-h", "--json"])).toBeUndefined();
  });

  it("takes the word after a string flag as its value, even when it starts with a dash", () => {
    expect(refusal(["x", "--data-dir", "-odd-dir-name"])).toBeUndefined();
  });

  it("refuses an unknown flag and names the nearest known one", () => {
    expect(refusal(["x", "--data-dri", "/tmp"])).toContain("Unknown option --data-dri (did you mean --data-dir?)");
  });

  it("refuses an unknown letter inside a group of short flags", () => {
    expect(refusal(["x", "-yq"])).toContain("Unknown option -q");
  });

  it("reads nothing after --", () => {
    expect(refusal(["x", "--", "--whatever"])).toBeUndefined();
  });
});
