import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveDataDir } from "../src/data-dir";

describe("resolveDataDir", () => {
  it("prefers the explicit option over COSMO_DATA_DIR", () => {
    expect(resolveDataDir({ dataDir: "/opt/a", env: { COSMO_DATA_DIR: "/opt/b" } })).toBe("/opt/a");
  });

  it("uses COSMO_DATA_DIR when no option is given", () => {
    expect(resolveDataDir({ env: { COSMO_DATA_DIR: "/opt/b" } })).toBe("/opt/b");
  });

  it("makes a relative directory absolute", () => {
    expect(resolveDataDir({ dataDir: "rel/dir", env: {} })).toBe(resolve("rel/dir"));
  });

  it.runIf(process.platform === "linux")("falls back to the XDG data dir, ~/.local/share/cosmo without XDG_DATA_HOME", () => {
    const saved = process.env.XDG_DATA_HOME;
    try {
      delete process.env.XDG_DATA_HOME;
      expect(resolveDataDir({ env: {} })).toBe(join(homedir(), ".local", "share", "cosmo"));
      process.env.XDG_DATA_HOME = "/xdg/data";
      expect(resolveDataDir({ env: { COSMO_DATA_DIR: "  " } })).toBe("/xdg/data/cosmo");
    } finally {
      if (saved === undefined) delete process.env.XDG_DATA_HOME;
      else process.env.XDG_DATA_HOME = saved;
    }
  });
});
