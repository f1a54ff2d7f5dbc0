import { describe, expect, it } from "vitest";
import { redactUrl } from "../src/redact-url";

describe("redactUrl", () => {
  it("masks the user name and password of a URL, keeping the rest", () => {
    expect(redactUrl("https://me:s3cret@registry.test/npm/")).toBe("https://***:***@registry.test/npm/");
    expect(redactUrl("redis://:s3cret@127.0.0.1:6379/0")).toBe("redis://:***@127.0.0.1:6379/0");
    expect(redactUrl("https://token@registry.test/")).toBe("https://***@registry.test/");
  });

  it("leaves a URL without credentials exactly as written", () => {
    expect(redactUrl("redis://127.0.0.1:6379")).toBe("redis://127.0.0.1:6379");
  });

  it("returns text that is not a URL unchanged", () => {
    expect(redactUrl("not a url")).toBe("not a url");
  });
});
