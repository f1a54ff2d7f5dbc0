import { describe, expect, it } from "vitest";
import { hostName } from "../../src/http/guards";

describe("hostName", () => {
  it.each([
    ["localhost", "localhost"],
    ["LocalHost:4000", "localhost"],
    ["127.0.0.1:80", "127.0.0.1"],
    ["[::1]:4000", "[::1]"],
    ["[::1]", "[::1]"],
    [" evil.example:1 ", "evil.example"],
  ])("reads %s as %s", (header, name) => {
    expect(hostName(header)).toBe(name);
  });
});
