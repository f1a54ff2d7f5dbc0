import { describe, expect, inject, it } from "vitest";
import { sourcePolicyFromArgs, sourcePolicyFromEnv } from "../src/operations/source-policy";
import { useCliEnv } from "./helpers/cli-env";
import { runCli } from "@cosmo/test-kit";

describe("source policy", () => {
  it("refuses git and accepts remote tarballs unless the environment says otherwise", () => {
    expect(sourcePolicyFromEnv({})).toMatchObject({ allowGit: false, allowRemote: true });
    expect(sourcePolicyFromEnv({ COSMO_ALLOW_GIT: "1", COSMO_ALLOW_REMOTE: "0" })).toMatchObject({ allowGit: true, allowRemote: false });
    expect(sourcePolicyFromEnv({ COSMO_ALLOW_GIT: "false", COSMO_ALLOW_REMOTE: "" })).toMatchObject({ allowGit: false, allowRemote: true });
  });

  it("lets a flag given win over the environment, and leaves the environment unwritten", () => {
    const env = { COSMO_ALLOW_GIT: "1", COSMO_ALLOW_REMOTE: "0" };
    expect(sourcePolicyFromArgs({ "allow-git": false }, env)).toEqual({ allowGit: false, allowRemote: false });
    expect(sourcePolicyFromArgs({ "allow-remote": true }, {})).toEqual({ allowGit: false, allowRemote: true });
    expect(env).toEqual({ COSMO_ALLOW_GIT: "1", COSMO_ALLOW_REMOTE: "0" });
  });

  describe("from the CLI", () => {
    const cli = useCliEnv("cosmo-policy-");

    const check = async (args: string[]) => {
      const proc = runCli(["check", ...args, "--data-dir", cli.dataDir, "--json"], cli.env);
      const { code } = await proc.exited;
      return { code, body: JSON.parse(proc.stdout()) as { ok?: boolean; error?: { code: string; details: { conflicts: Array<{ kind: string }> } } } };
    };

    it("refuses to add a source npm cannot parse (exit 1, COSMO_E_SPEC_INVALID) and records nothing", async () => {
      const add = runCli(["plugins", "add", "..@1", "--data-dir", cli.dataDir, "--json"], cli.env);
      expect((await add.exited).code).toBe(1);
      expect(JSON.parse(add.stdout()).error.code).toBe("COSMO_E_SPEC_INVALID");
      const list = runCli(["plugins", "list", "--data-dir", cli.dataDir, "--json"], cli.env);
      await list.exited;
      expect(JSON.parse(list.stdout())).toMatchObject({ plugins: [] });
    });

    it("refuses a git source with COSMO_E_SOURCE_FORBIDDEN (exit 5), before fetching anything", async () => {
      const { code, body } = await check(["git+https://example.invalid/plugin.git"]);
      expect(code).toBe(5);
      expect(body.error?.code).toBe("COSMO_E_SOURCE_FORBIDDEN");
      expect(body.error?.details.conflicts.map((c) => c.kind)).toEqual(["forbidden-source"]);
      // The hint names the runner's own switch, not the library option.
      expect(JSON.stringify(body.error?.details.conflicts)).toContain("--allow-git");
    });

    it("checks a remote tarball URL by default, and refuses it with --no-allow-remote", async () => {
      const url = `${inject("registryUrl").replace(/\/$/, "")}/plugin-ok/-/plugin-ok-1.0.0.tgz`;
      const allowed = await check([url]);
      expect(allowed.code, JSON.stringify(allowed.body)).toBe(0);
      const refused = await check([url, "--no-allow-remote"]);
      expect(refused.code).toBe(5);
      expect(refused.body.error?.code).toBe("COSMO_E_SOURCE_FORBIDDEN");
      expect(refused.body.error?.details.conflicts.map((c) => c.kind)).toEqual(["forbidden-source"]);
    });
  });
});
