import { describe, expect, it } from "vitest";
import { deriveName } from "../src/source-name";

describe("deriveName", () => {
  it.each([
    ["smart-switch", "smart-switch"],
    ["smart-switch@^1.2.0", "smart-switch"],
    ["smart-switch@latest", "smart-switch"],
    ["@acme/smart-switch", "@acme/smart-switch"],
    ["@acme/smart-switch@1.0.0", "@acme/smart-switch"],
    ["npm:@acme/smart-switch@2", "@acme/smart-switch"],
  ])("takes the package name of the npm spec %s", (source, name) => {
    expect(deriveName(source)).toBe(name);
  });

  it.each([
    ["./plugins/smart-switch", "smart-switch"],
    ["../smart-switch/", "smart-switch"],
    ["/abs/dir/smart-switch-1.2.0.tgz", "smart-switch"],
    ["smart-switch-1.2.0-beta.1.tgz", "smart-switch"],
    ["C:\\plugins\\switch.tar.gz", "switch"],
    ["https://example.com/dl/acme-switch-0.1.0.tgz?sig=x", "acme-switch"],
    ["git+https://github.com/acme/smart-switch.git#v1.0.0", "smart-switch"],
    ["git@github.com:acme/smart-switch.git", "smart-switch"],
    ["github:acme/smart-switch", "smart-switch"],
    ["acme/smart-switch#main", "smart-switch"],
    ["file:../plugins/switch", "switch"],
  ])("takes the basename of the path or URL %s", (source, name) => {
    expect(deriveName(source)).toBe(name);
  });

  it("keeps a tarball's name when stripping the version would leave nothing", () => {
    expect(deriveName("./1.0.0.tgz")).toBe("1.0.0");
  });
});
