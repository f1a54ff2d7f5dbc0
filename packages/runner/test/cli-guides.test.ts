/**
 * The CLI guides the user: near misses are named, a missing package and a refused source have
 * their own codes and exit codes, hints name commands (not endpoints), and a record is found by
 * the source as it was typed at `plugins add`.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useCliEnv } from "./helpers/cli-env";
import { runCli } from "@cosmo/test-kit";

const cli = useCliEnv("cosmo-cli-guides-");

async function run(args: string[], options: { cwd?: string } = {}) {
  const proc = runCli(args, cli.env, options);
  const { code } = await proc.exited;
  return { code, stdout: proc.stdout(), stderr: proc.stderr() };
}

describe("did you mean", () => {
  it("names the command nearest to an unknown one (exit 2)", async () => {
    const { code, stderr } = await run(["plugns", "list"]);
    expect(code).toBe(2);
    expect(stderr).toContain('Unknown command "plugns" (did you mean plugins?)');
  });

  it("names the subcommand and the flag nearest to unknown ones", async () => {
    const sub = await run(["plugins", "lst"]);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain("did you mean plugins list?");
    const flag = await run(["plugins", "list", "--data-dri", cli.dataDir]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Unknown option --data-dri (did you mean --data-dir?)");
  });

  it("guesses nothing for a word that is near nothing", async () => {
    const { code, stderr } = await run(["frobnicate"]);
    expect(code).toBe(2);
    expect(stderr).not.toContain("did you mean");
  });
});

describe("codes and exit codes of a plugin that cannot be installed", () => {
  it("a package the registry does not have is COSMO_E_NOT_FOUND, exit 4", async () => {
    const { code, stdout, stderr } = await run(["check", "cosmo-no-such-plugin-anywhere", "--data-dir", cli.dataDir, "--json"]);
    expect(code, stderr).toBe(4);
    const body = JSON.parse(stdout) as { error: { code: string; details: { conflicts: { kind: string }[] } } };
    expect(body.error.code).toBe("COSMO_E_NOT_FOUND");
    expect(body.error.details.conflicts.map((c) => c.kind)).toEqual(["not-found"]);
    expect(stderr).toContain("error COSMO_E_NOT_FOUND");
  });

  it("a version that does not exist is COSMO_E_NOT_FOUND too, and the record keeps why", async () => {
    const { code, stderr } = await run(["plugins", "install", "plugin-ok@99.0.0", "--data-dir", cli.dataDir]);
    expect(code, stderr).toBe(4);
    const list = JSON.parse((await run(["plugins", "list", "--data-dir", cli.dataDir, "--json"])).stdout) as { plugins: { install_status: string; conflicts: { kind: string }[] }[] };
    expect(list.plugins[0]).toMatchObject({ install_status: "failed", conflicts: [{ kind: "no-matching-version" }] });
  });
});

describe("records named as typed", () => {
  it("removes a tarball record by the relative path given at add (recorded absolute)", async () => {
    const added = await run(["plugins", "add", "./dist/my-plugin-1.0.0.tgz", "--data-dir", cli.dataDir, "--json"], { cwd: cli.dataDir });
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout).source).toBe(join(cli.dataDir, "dist/my-plugin-1.0.0.tgz"));
    const removed = await run(["plugins", "remove", "./dist/my-plugin-1.0.0.tgz", "--data-dir", cli.dataDir], { cwd: cli.dataDir });
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain("Removed");
  });

  it("says which command lists the records when none matches (not an endpoint)", async () => {
    const { code, stderr } = await run(["plugins", "remove", "./nothing.tgz", "--data-dir", cli.dataDir]);
    expect(code).toBe(1);
    expect(stderr).toContain("error COSMO_E_RECORD_NOT_FOUND");
    expect(stderr).toContain("cosmo-runner plugins list");
    expect(stderr).not.toContain("GET /plugins");
  });
});
